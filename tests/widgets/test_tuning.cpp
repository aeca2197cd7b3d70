// TuningDocument (undo stack, files), tuning file formats, TuningTableModel (checked by
// QAbstractItemModelTester) and the TuningPanel.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <nlohmann/json.hpp>
#include <random>

#include "sessions/session_error.h"
#include "widgets/models/tuning_document.h"
#include "widgets/models/tuning_export.h"
#include "widgets/models/tuning_table_model.h"
#include "widgets/tuning_panel.h"

using mote::ExpertAddress;
using mote::ModelGeometry;
using mote::TuningSpec;
using mote::widgets::ExpertState;
using mote::widgets::TuningDocument;
using mote::widgets::TuningPanel;
using mote::widgets::TuningTableModel;

namespace {

// Collects QAbstractItemModelTester failures (Warning mode prints "FAIL! ...").
struct TesterMessages {
  static inline QStringList failures;
  static void handler(QtMsgType, const QMessageLogContext&, const QString& message) {
    if (message.contains(QStringLiteral("FAIL!"))) failures.push_back(message);
  }
  QtMessageHandler previous;
  TesterMessages() : previous(qInstallMessageHandler(handler)) { failures.clear(); }
  ~TesterMessages() { qInstallMessageHandler(previous); }
};

TuningSpec sampleSpec() {
  TuningSpec spec;
  spec.suppress = {{60, 255}, {3, 17}, {10, 0}};
  spec.stimulate = {{3, 5}, {31, 128}};
  return spec;
}

QByteArray readAll(const QString& path) {
  QFile file(path);
  REQUIRE(file.open(QIODevice::ReadOnly));
  return file.readAll();
}

}  // namespace

TEST_CASE("tuning: document edits are undoable commands and emit changed", "[widgets][tuning]") {
  TuningDocument document(ModelGeometry::deepseek_r1());
  QSignalSpy changed(&document, &TuningDocument::changed);
  QSignalSpy experts(&document, &TuningDocument::expertsChanged);

  REQUIRE(document.setState({3, 17}, ExpertState::kSuppressed));
  REQUIRE(
      document.setStates({{4, 1}, {4, 2}, {4, 1}}, ExpertState::kStimulated));  // duplicate ignored
  CHECK(document.undoStack()->count() == 2);
  CHECK(document.undoStack()->text(1) == QStringLiteral("Stimulate 2 experts"));
  CHECK(changed.count() == 2);
  CHECK(experts.last().at(0).value<QVector<ExpertAddress>>().size() == 2);
  // Setting a state an expert already has adds no command.
  REQUIRE(document.setState({3, 17}, ExpertState::kSuppressed));
  CHECK(document.undoStack()->count() == 2);

  TuningSpec expected;
  expected.suppress = {{3, 17}};
  expected.stimulate = {{4, 1}, {4, 2}};
  CHECK(document.spec() == expected);

  document.clear();
  CHECK(document.empty());
  document.undo();
  CHECK(document.spec() == expected);
  document.undo();
  document.undo();
  CHECK(document.empty());
  document.redo();
  CHECK(document.spec().suppress == std::vector<ExpertAddress>{{3, 17}});

  REQUIRE(document.load(sampleSpec()));
  CHECK(document.spec() == mote::widgets::sortedTuning(sampleSpec()));
  document.undo();
  CHECK(document.spec().suppress == std::vector<ExpertAddress>{{3, 17}});

  // Invalid addresses are refused, never fixed.
  QSignalSpy refused(&document, &TuningDocument::refused);
  CHECK_FALSE(document.setState({2, 0}, ExpertState::kSuppressed));    // layer 2 is dense in R1
  CHECK_FALSE(document.setState({3, 256}, ExpertState::kSuppressed));  // expert out of range
  TuningSpec both;
  both.suppress = {{3, 1}};
  both.stimulate = {{3, 1}};
  CHECK_FALSE(document.load(both));
  CHECK(refused.count() == 3);
  CHECK(refused.at(0).at(0).toString().contains(QStringLiteral("[2, 0]")));

  // A new geometry clears tuning and history.
  ModelGeometry other;
  other.moe_layers = {1};
  other.n_experts = 4;
  other.top_k = 2;
  REQUIRE(document.setModelGeometry(other));
  CHECK(document.empty());
  CHECK(document.undoStack()->count() == 0);
}

TEST_CASE("tuning: JSON, expert-list JSON and CSV round trips", "[widgets][tuning][export]") {
  const ModelGeometry r1 = ModelGeometry::deepseek_r1();
  const TuningSpec spec = mote::widgets::sortedTuning(sampleSpec());
  using mote::widgets::TuningFileFormat;
  for (auto format : {TuningFileFormat::kTuningJson, TuningFileFormat::kExpertListJson,
                      TuningFileFormat::kExpertListCsv}) {
    const QByteArray bytes = mote::widgets::serializeTuning(spec, r1, format);
    INFO(bytes.toStdString());
    CHECK(mote::widgets::sortedTuning(
              mote::widgets::parseTuningBytes(bytes, QStringLiteral("t"), r1)) == spec);
  }
  // The project's format, exactly.
  CHECK(mote::widgets::tuningJson(spec).trimmed() ==
        R"({"stimulate":[[3,5],[31,128]],"suppress":[[3,17],[10,0],[60,255]]})");
  // Expert lists carry both indices.
  const QByteArray csv = mote::widgets::expertListCsv(spec, r1);
  CHECK(csv.startsWith("layer,moe_layer,expert,state\n3,0,5,stimulated\n3,0,17,suppressed\n"));
  CHECK(csv.contains("60,57,255,suppressed\n"));
  const auto list = nlohmann::json::parse(mote::widgets::expertListJson(spec, r1).toStdString());
  REQUIRE(list.size() == 5);
  CHECK(list[0] ==
        nlohmann::json({{"layer", 3}, {"moe_layer", 0}, {"expert", 5}, {"state", "stimulated"}}));

  // Errors name the file and the entry.
  auto error = [&](const char* text) {
    try {
      mote::widgets::parseTuningBytes(QByteArray(text), QStringLiteral("bad.csv"), r1);
    } catch (const mote::sessions::SessionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(
      error("layer,moe_layer,expert,state\n4,0,1,suppressed\n"),
      Catch::Contains("bad.csv line 2") && Catch::Contains("moe_layer 0 does not match layer 4"));
  CHECK_THAT(error("layer,expert,state\n4,1,frozen\n"),
             Catch::Contains("unknown state \"frozen\""));
  CHECK_THAT(error("layer,expert\n4,1\n"), Catch::Contains("layer, expert and state"));
  CHECK_THAT(error("layer,expert,state\nx,1,suppressed\n"),
             Catch::Contains("column layer must be an integer"));
  CHECK_THAT(error(R"([{"layer": 4, "expert": 1}])"),
             Catch::Contains("entry 0: missing \"state\""));
  CHECK_THAT(error(R"({"suppress": [[4]]})"),
             Catch::Contains("bad.csv: tuning: suppress[0] must be a [layer, expert] pair"));
  CHECK_THAT(error("{not json"), Catch::Contains("invalid JSON"));

  CHECK(mote::widgets::tuningFormatForPath(QStringLiteral("a/b.CSV")) ==
        TuningFileFormat::kExpertListCsv);
  CHECK(mote::widgets::tuningFormatForPath(QStringLiteral("x.experts.json")) ==
        TuningFileFormat::kExpertListJson);
  CHECK(mote::widgets::tuningFormatForPath(QStringLiteral("x.json")) ==
        TuningFileFormat::kTuningJson);
}

TEST_CASE("tuning: document save/load files in every format", "[widgets][tuning][export]") {
  QTemporaryDir dir;
  REQUIRE(dir.isValid());
  TuningDocument document(ModelGeometry::deepseek_r1());
  REQUIRE(document.load(sampleSpec()));
  CHECK(document.isModified());
  for (const QString& name :
       {QStringLiteral("t.json"), QStringLiteral("t.experts.json"), QStringLiteral("t.csv")}) {
    const QString path = dir.filePath(name);
    REQUIRE(document.saveFile(path));
    CHECK_FALSE(document.isModified());
    TuningDocument loaded(ModelGeometry::deepseek_r1());
    QString error;
    REQUIRE(loaded.loadFile(path, &error));
    CHECK(error.isEmpty());
    CHECK(loaded.spec() == document.spec());
    CHECK(loaded.undoStack()->count() == 1);  // loading is undoable
  }
  // The tuning JSON file is what the engine and sessions read.
  CHECK(TuningSpec::parse(readAll(dir.filePath(QStringLiteral("t.json"))).toStdString()) ==
        document.spec());

  // A file with an invalid tuning is refused with the file's name.
  QFile bad(dir.filePath(QStringLiteral("bad.json")));
  REQUIRE(bad.open(QIODevice::WriteOnly));
  bad.write(R"({"suppress": [[2, 1]]})");
  bad.close();
  QString error;
  CHECK_FALSE(document.loadFile(bad.fileName(), &error));
  CHECK(error.contains(QStringLiteral("bad.json")));
  CHECK(error.contains(QStringLiteral("[2, 1]")));
  // An expert listed twice is refused in the words of the one rule set, the words the engine's
  // 400 and `mote run` use for the same file (tests/engine/test_server.cpp, test_cli_e2e.cpp).
  QFile twice(dir.filePath(QStringLiteral("twice.json")));
  REQUIRE(twice.open(QIODevice::WriteOnly));
  twice.write(R"({"suppress": [[3, 1], [3, 1]]})");
  twice.close();
  const TuningSpec before = document.spec();
  QSignalSpy refused(&document, &TuningDocument::refused);
  CHECK_FALSE(document.loadFile(twice.fileName(), &error));
  CHECK(error == QStringLiteral("twice.json: tuning: suppress [3, 1] is listed twice"));
  REQUIRE(refused.count() == 1);
  CHECK(refused.at(0).at(0).toString() == error);
  CHECK(document.spec() == before);  // nothing changed
  CHECK_FALSE(document.loadFile(dir.filePath(QStringLiteral("missing.json")), &error));
  CHECK(error.contains(QStringLiteral("Cannot read")));
}

TEST_CASE("tuning: TuningTableModel passes QAbstractItemModelTester through edits",
          "[widgets][tuning][model]") {
  TesterMessages messages;
  TuningDocument document(ModelGeometry::deepseek_r1());
  TuningTableModel model(&document);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
  QSortFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.setSortRole(TuningTableModel::SortRole);
  proxy.sort(TuningTableModel::kExpertColumn, Qt::DescendingOrder);
  QAbstractItemModelTester proxyTester(&proxy,
                                       QAbstractItemModelTester::FailureReportingMode::Warning);

  CHECK(model.rowCount() == 0);
  CHECK(model.columnCount() == 4);
  CHECK(model.headerData(1, Qt::Horizontal).toString() == QStringLiteral("moe_layer"));

  REQUIRE(document.load(sampleSpec()));
  REQUIRE(model.rowCount() == 5);
  // Sorted by (layer, expert); columns layer, moe_layer, expert, state.
  CHECK(model.data(model.index(0, 0)).toInt() == 3);
  CHECK(model.data(model.index(0, 1)).toInt() == 0);
  CHECK(model.data(model.index(0, 2)).toInt() == 5);
  CHECK(model.data(model.index(0, 3)).toString() == QStringLiteral("stimulated"));
  CHECK(model.data(model.index(4, 1)).toInt() == 57);
  CHECK(model.data(model.index(4, 0), TuningTableModel::AddressRole).toPoint() == QPoint(60, 255));
  CHECK(model.rowOf({31, 128}) == 3);
  CHECK(model.rowOf({31, 129}) == -1);

  // Editing the state column goes through the document (undoable).
  CHECK(model.flags(model.index(0, 3)) & Qt::ItemIsEditable);
  CHECK_FALSE(model.flags(model.index(0, 0)) & Qt::ItemIsEditable);
  REQUIRE(model.setData(model.index(0, 3), QStringLiteral("suppressed")));
  CHECK(document.state({3, 5}) == ExpertState::kSuppressed);
  CHECK_FALSE(model.setData(model.index(0, 3), QStringLiteral("frozen")));
  REQUIRE(model.setData(model.index(0, 3), QStringLiteral("none")));
  CHECK(model.rowCount() == 4);

  // Random edits, bulk edits, undo/redo, clear: the model follows exactly.
  std::mt19937 rng(3);
  for (int step = 0; step < 200; ++step) {
    const ExpertAddress a{3 + static_cast<int>(rng() % 4), static_cast<int>(rng() % 6)};
    switch (rng() % 6) {
      case 0:
        document.cycle(a);
        break;
      case 1:
        document.setStates({a, {a.layer, a.expert + 1}, {a.layer + 1, a.expert}},
                           static_cast<ExpertState>(rng() % 3));
        break;
      case 2:
        document.undo();
        break;
      case 3:
        document.redo();
        break;
      case 4:
        if (rng() % 10 == 0) document.clear();
        break;
      default:
        document.setState(a, ExpertState::kSuppressed);
    }
    REQUIRE(model.rowCount() == static_cast<int>(document.states().size()));
    int row = 0;
    for (const auto& [address, state] : document.states()) {
      REQUIRE(model.addressAt(row) == address);
      REQUIRE(model.data(model.index(row, 3), TuningTableModel::StateRole).toInt() ==
              static_cast<int>(state));
      ++row;
    }
  }
  // A large bulk action (a whole R1 layer) and its undo.
  QVector<ExpertAddress> layer;
  for (int e = 0; e < 256; ++e) layer.push_back({20, e});
  REQUIRE(document.setStates(layer, ExpertState::kSuppressed));
  CHECK(model.rowCount() == static_cast<int>(document.states().size()));
  document.undo();
  CHECK(model.rowCount() == static_cast<int>(document.states().size()));
  INFO(messages.failures.join(QLatin1Char('\n')).toStdString());
  CHECK(messages.failures.isEmpty());
}

TEST_CASE("tuning: panel loads, saves, removes selected rows and clears",
          "[widgets][tuning][panel]") {
  QTemporaryDir dir;
  TuningDocument document(ModelGeometry::deepseek_r1());
  TuningPanel panel(&document);
  panel.resize(400, 500);
  panel.show();
  REQUIRE(QTest::qWaitForWindowExposed(&panel));

  QFile file(dir.filePath(QStringLiteral("in.json")));
  REQUIRE(file.open(QIODevice::WriteOnly));
  file.write(mote::widgets::tuningJson(sampleSpec()));
  file.close();
  QSignalSpy loaded(&panel, &TuningPanel::fileLoaded);
  REQUIRE(panel.loadFile(file.fileName()));
  CHECK(loaded.count() == 1);
  CHECK(panel.tableView()->model()->rowCount() == 5);

  // Select the rows of (3, 17) and (60, 255), remove them (one undoable command).
  panel.selectExpert({3, 17});
  const QModelIndex other = panel.tableView()->model()->index(4, 0);
  panel.tableView()->selectionModel()->select(
      other, QItemSelectionModel::Select | QItemSelectionModel::Rows);
  CHECK(panel.selectedExperts() == QVector<ExpertAddress>{{3, 17}, {60, 255}});
  CHECK(panel.removeAction()->isEnabled());
  panel.removeSelected();
  CHECK(document.states().size() == 3);
  CHECK(document.state({3, 17}) == ExpertState::kNone);
  // Ctrl+Z in the table undoes it.
  panel.tableView()->setFocus();
  QTest::keyClick(panel.tableView(), Qt::Key_Z, Qt::ControlModifier);
  CHECK(document.states().size() == 5);

  const QString out = dir.filePath(QStringLiteral("out.csv"));
  REQUIRE(panel.saveFile(out));
  CHECK(mote::widgets::parseTuningBytes(readAll(out), out, ModelGeometry::deepseek_r1())
            .suppress.size() == 3);

  panel.clearTuning();
  CHECK(document.empty());
  CHECK_FALSE(panel.clearAction()->isEnabled());

  // A refused load shows the message in the panel.
  QFile bad(dir.filePath(QStringLiteral("bad.csv")));
  REQUIRE(bad.open(QIODevice::WriteOnly));
  bad.write("layer,expert,state\n3,999,suppressed\n");
  bad.close();
  CHECK_FALSE(panel.loadFile(bad.fileName()));
  CHECK(panel.message().contains(QStringLiteral("[3, 999]")));
}
