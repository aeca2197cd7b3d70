// Item models over a real session file: QAbstractItemModelTester on every model, run progress,
// label editing through the store, filtering and sorting.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QStringList>
#include <memory>

#include "session_fixture.h"
#include "sessions/session_analysis.h"
#include "widgets/models/dataset_prompt_model.h"
#include "widgets/models/session_dataset_model.h"
#include "widgets/models/session_expert_model.h"
#include "widgets/models/session_results_model.h"
#include "widgets/models/session_run_model.h"
#include "widgets/models/volume_data.h"

using mote::widgets::ExpertRankingModel;
using mote::widgets::ResultsFilterProxyModel;
using mote::widgets::SessionDatasetModel;
using mote::widgets::SessionResultsModel;
using mote::widgets::SessionRunModel;
using mote::widgets_test::SessionFixture;

namespace {

// Collects what QAbstractItemModelTester reports (category qt.modeltest) while alive.
class ModelTestLog {
 public:
  ModelTestLog() {
    messages().clear();
    previous_ = qInstallMessageHandler(&ModelTestLog::handler);
  }
  ~ModelTestLog() { qInstallMessageHandler(previous_); }
  static QStringList& messages() {
    static QStringList list;
    return list;
  }

 private:
  static void handler(QtMsgType type, const QMessageLogContext& context, const QString& msg) {
    if (context.category && QByteArray(context.category) == "qt.modeltest" && type >= QtWarningMsg)
      messages() << msg;
  }
  QtMessageHandler previous_ = nullptr;
};

std::unique_ptr<QAbstractItemModelTester> tester(QAbstractItemModel* model) {
  return std::make_unique<QAbstractItemModelTester>(
      model, QAbstractItemModelTester::FailureReportingMode::Warning);
}

}  // namespace

TEST_CASE("dataset model lists the session's datasets", "[models]") {
  SessionFixture f;
  ModelTestLog log;
  SessionDatasetModel model;
  auto t = tester(&model);
  model.setStore(f.store.get());
  REQUIRE(model.rowCount() == 1);
  CHECK(model.data(model.index(0, SessionDatasetModel::kName)).toString() == "questions");
  CHECK(model.data(model.index(0, SessionDatasetModel::kPrompts)).toInt() ==
        SessionFixture::kPrompts);
  CHECK(model.data(model.index(0, 0), SessionDatasetModel::kDatasetIdRole).toLongLong() ==
        f.dataset_id);
  CHECK(model.data(model.index(0, 0), Qt::ToolTipRole).toString().contains("Answer briefly."));
  mote::sessions::Dataset more;
  more.name = "more";
  more.prompts = {{"a", {}}, {"b", {}}};
  f.store->add_dataset(more);
  model.reload();
  CHECK(model.rowCount() == 2);
  model.setStore(nullptr);
  CHECK(model.rowCount() == 0);
  CHECK(ModelTestLog::messages().isEmpty());
}

TEST_CASE("run model shows status and answered / total, and live progress", "[models]") {
  SessionFixture f;
  ModelTestLog log;
  SessionRunModel model;
  auto t = tester(&model);
  model.setStore(f.store.get());
  REQUIRE(model.rowCount() == 2);
  const int original = model.rowOfRun(f.original_run);
  const int tuned = model.rowOfRun(f.tuned_run);
  REQUIRE(original >= 0);
  REQUIRE(tuned >= 0);
  CHECK(model.data(model.index(original, SessionRunModel::kAnswered)).toString() == "24 / 24");
  CHECK(model.data(model.index(tuned, SessionRunModel::kAnswered)).toString() == "16 / 24");
  CHECK(model.data(model.index(tuned, SessionRunModel::kStatus)).toString() == "cancelled");
  CHECK(model.data(model.index(tuned, SessionRunModel::kKind)).toString() == "tuned");
  CHECK(model.data(model.index(tuned, SessionRunModel::kTuning)).toString() == "1 suppressed");
  CHECK(model.data(model.index(tuned, 0), SessionRunModel::kProgressRole).toInt() == 66);

  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  model.setRunProgress(f.tuned_run, 20, 24);
  CHECK(changed.count() == 1);
  CHECK(model.data(model.index(tuned, SessionRunModel::kAnswered)).toString() == "20 / 24");
  CHECK(model.data(model.index(tuned, SessionRunModel::kStatus)).toString() == "running");
  // refreshRun reads the store again (it still has 16 answers, status cancelled).
  model.refreshRun(f.tuned_run);
  CHECK(model.data(model.index(tuned, SessionRunModel::kAnswered)).toString() == "16 / 24");
  CHECK(model.data(model.index(tuned, SessionRunModel::kStatus)).toString() == "cancelled");
  CHECK(ModelTestLog::messages().isEmpty());
}

TEST_CASE("results model: answers of runs, editable labels stored as manual labels", "[models]") {
  SessionFixture f;
  ModelTestLog log;
  SessionResultsModel model;
  ResultsFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  auto t1 = tester(&model);
  auto t2 = tester(&proxy);
  model.setStore(f.store.get());
  model.setRuns({f.original_run, f.tuned_run}, QStringLiteral("refusal"));
  REQUIRE(model.rowCount() == SessionFixture::kPrompts + SessionFixture::kTunedAnswers);
  CHECK(model.knownLabels() == QStringList({"ANSWERED", "REFUSED"}));

  const int row = model.rowOf(f.original_run, f.prompt_ids[1]);
  REQUIRE(row >= 0);
  const QModelIndex label = model.index(row, SessionResultsModel::kLabel);
  CHECK(model.data(label).toString() == "ANSWERED");
  CHECK(model.data(model.index(row, SessionResultsModel::kPrompt)).toString() ==
        "Question number 1?");
  CHECK(model.data(model.index(row, SessionResultsModel::kRun)).toString() == "original");
  CHECK(model.flags(label) & Qt::ItemIsEditable);
  CHECK_FALSE(model.flags(model.index(row, SessionResultsModel::kAnswer)) & Qt::ItemIsEditable);

  SECTION("editing a label stores a manual label; clearing restores the rule label") {
    QSignalSpy edited(&model, &SessionResultsModel::labelEdited);
    REQUIRE(model.setData(label, QStringLiteral("REFUSED")));
    CHECK(edited.count() == 1);
    CHECK(model.data(label).toString() == "REFUSED");
    CHECK(model.data(label, SessionResultsModel::kManualRole).toBool());
    auto labels = f.store->labels(f.original_run, "refusal");
    const auto it = std::find_if(labels.begin(), labels.end(),
                                 [&](const auto& l) { return l.prompt_id == f.prompt_ids[1]; });
    REQUIRE(it != labels.end());
    CHECK(it->label == "REFUSED");
    CHECK(it->manual);
    CHECK(it->rule_label == "ANSWERED");
    // A fresh model reads the manual label back.
    SessionResultsModel again;
    again.setStore(f.store.get());
    again.setRuns({f.original_run}, QStringLiteral("refusal"));
    CHECK(again.data(again.index(1, SessionResultsModel::kLabel)).toString() == "REFUSED");

    REQUIRE(model.setData(label, QString()));
    CHECK(model.data(label).toString() == "ANSWERED");
    CHECK_FALSE(model.data(label, SessionResultsModel::kManualRole).toBool());
    labels = f.store->labels(f.original_run, "refusal");
    CHECK_FALSE(labels[1].manual);
  }
  SECTION("without a classifier nothing is editable") {
    model.setRuns({f.original_run}, QString());
    CHECK_FALSE(model.flags(model.index(0, SessionResultsModel::kLabel)) & Qt::ItemIsEditable);
    CHECK_FALSE(model.setData(model.index(0, SessionResultsModel::kLabel), "X"));
  }
  SECTION("proxy: text, label and run filters; numeric sorting") {
    proxy.setRunFilter(f.original_run);
    CHECK(proxy.rowCount() == SessionFixture::kPrompts);
    proxy.setLabelFilter(QStringLiteral("REFUSED"));
    CHECK(proxy.rowCount() == SessionFixture::kPrompts / 3);
    proxy.setLabelFilter(QString());
    proxy.setTextFilter(QStringLiteral("question number 1"));  // 1, 10..19
    CHECK(proxy.rowCount() == 11);
    proxy.setTextFilter(QStringLiteral("cannot answer"));  // searches answers too
    CHECK(proxy.rowCount() == SessionFixture::kPrompts / 3);
    proxy.setTextFilter(QString());
    proxy.setRunFilter(0);
    proxy.setLabelFilter(ResultsFilterProxyModel::unlabelledToken());
    CHECK(proxy.rowCount() == 0);
    proxy.setLabelFilter(QString());
    proxy.sort(SessionResultsModel::kPosition, Qt::DescendingOrder);
    CHECK(proxy.data(proxy.index(0, SessionResultsModel::kPosition)).toInt() ==
          SessionFixture::kPrompts);
    // Editing through the proxy reaches the store.
    proxy.setRunFilter(f.tuned_run);
    REQUIRE(proxy.setData(proxy.index(0, SessionResultsModel::kLabel), "MANUAL"));
    bool found = false;
    for (const auto& l : f.store->labels(f.tuned_run, "refusal"))
      found = found || (l.manual && l.label == "MANUAL");
    CHECK(found);
  }
  SECTION("CSV export of the visible table") {
    proxy.setRunFilter(f.tuned_run);
    const QString csv = SessionResultsModel::toCsv(proxy);
    CHECK(csv.startsWith("Run,#,Prompt,Answer,Label,Rule label,Finish,Tokens\n"));
    CHECK(csv.count(QLatin1Char('\n')) == SessionFixture::kTunedAnswers + 1);
    CHECK(csv.contains("\"I am sorry, I cannot answer that question.\""));
  }
  CHECK(ModelTestLog::messages().isEmpty());
}

TEST_CASE("expert ranking model shows both ends of an fTRI ranking", "[models]") {
  SessionFixture f;
  ModelTestLog log;
  mote::sessions::ExpertStatisticsOptions options;
  options.permutations = 200;
  options.bootstrap_resamples = 20;
  const auto ftri =
      mote::sessions::analyze_ftri(*f.store, f.original_run, "refusal", "REFUSED", options);
  ExpertRankingModel model;
  auto t = tester(&model);
  model.setTable(ftri.table, mote::sessions::RankingEnd::kTop, 10);
  REQUIRE(model.rowCount() == 10);
  CHECK(model.data(model.index(0, ExpertRankingModel::kLayer)).toInt() == 2);
  CHECK(model.data(model.index(0, ExpertRankingModel::kExpert)).toInt() == 5);
  CHECK(model.data(model.index(0, ExpertRankingModel::kRank)).toInt() == 1);
  CHECK(model.data(model.index(0, ExpertRankingModel::kResonance), ExpertRankingModel::kSortRole)
            .toDouble() > 5.0);
  model.setEnd(mote::sessions::RankingEnd::kBottom);
  CHECK(model.data(model.index(0, ExpertRankingModel::kLayer)).toInt() == 3);
  CHECK(model.data(model.index(0, ExpertRankingModel::kExpert)).toInt() == 1);
  CHECK(model.data(model.index(0, 0), ExpertRankingModel::kLayerRole).toInt() == 3);
  const auto first = model.firstExperts(3);
  REQUIRE(first.size() == 3);
  CHECK(first[0] == mote::ExpertAddress{3, 1});
  model.setLimit(0);
  CHECK(model.rowCount() == 24);  // 3 layers x 8 experts
  CHECK(model.toCsv().rfind("rank,layer,moe_layer,expert,resonance,t,p,q,stability\n", 0) == 0);
  model.clear();
  CHECK(model.rowCount() == 0);
  CHECK(ModelTestLog::messages().isEmpty());
}

TEST_CASE("dataset prompt model lists prompts with their metadata", "[models]") {
  SessionFixture f;
  ModelTestLog log;
  mote::widgets::DatasetPromptModel model;
  auto t = tester(&model);
  REQUIRE(model.load(f.store.get(), f.dataset_id));
  REQUIRE(model.rowCount() == SessionFixture::kPrompts);
  REQUIRE(model.columnCount() == 3);
  CHECK(model.headerData(2, Qt::Horizontal).toString() == "i");
  CHECK(model.data(model.index(5, 1)).toString() == "Question number 5?");
  CHECK(model.data(model.index(5, 2)).toString() == "5");
  CHECK(model.data(model.index(5, 0)).toInt() == 6);
  CHECK(model.promptId(5) == f.prompt_ids[5]);
  QString error;
  // An unknown dataset has no prompts (or the store refuses it): nothing is listed.
  const bool loaded = model.load(f.store.get(), 9999, &error);
  CHECK((!loaded || model.rowCount() == 0));
  REQUIRE(model.load(nullptr, 0));
  CHECK(model.rowCount() == 0);
  CHECK(ModelTestLog::messages().isEmpty());
}

TEST_CASE("volumes of a run: prompts stacked and class means", "[models][volume]") {
  SessionFixture f;
  const auto prompts = mote::widgets::runVolume(*f.store, f.original_run);
  CHECK(prompts.slices() == SessionFixture::kPrompts);
  CHECK(prompts.layers() == 3);
  CHECK(prompts.experts() == 8);
  CHECK(prompts.sliceLabels().at(2) == "Question number 2?");
  CHECK(prompts.value(0, 1, 5) >= 6.0f);  // prompt 0 is refused: layer 2, expert 5
  const auto means = mote::widgets::classMeanVolume(*f.store, f.original_run, "refusal");
  REQUIRE(means.slices() == 2);
  CHECK(means.sliceLabels() == QStringList({"ANSWERED", "REFUSED"}));
  CHECK(means.value(1, 1, 5) > means.value(0, 1, 5) + 5.0f);
  CHECK(means.sliceKind() == mote::widgets::VolumeSliceKind::kClass);
}
