// The fTRI view on a real session: computes off the UI thread, loads stored results, applies
// top/bottom-N to a tuning, hover highlighting, exports.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QPushButton>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include "protocol/tuning_spec.h"
#include "session_fixture.h"
#include "widgets/ftri_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/session_expert_model.h"
#include "widgets/models/tuning_document.h"

using mote::ExpertAddress;
using mote::sessions::RankingEnd;
using mote::widgets::ExpertState;
using mote::widgets::FtriView;
using mote::widgets_test::SessionFixture;

namespace {

void hover(QTableView* table, int row) {
  const QPoint pos = table->visualRect(table->model()->index(row, 1)).center();
  QMouseEvent move(QEvent::MouseMove, pos, table->viewport()->mapToGlobal(pos), Qt::NoButton,
                   Qt::NoButton, Qt::NoModifier);
  QApplication::sendEvent(table->viewport(), &move);
}

mote::sessions::ExpertStatisticsOptions quickOptions() {
  mote::sessions::ExpertStatisticsOptions o;
  o.permutations = 200;
  o.bootstrap_resamples = 20;
  return o;
}

}  // namespace

TEST_CASE("fTRI view computes off the UI thread and applies top/bottom-N", "[ftri]") {
  SessionFixture f;
  FtriView view;
  view.resize(1100, 800);
  view.setStore(f.store.get());
  view.setStatisticsOptions(quickOptions());
  REQUIRE(view.setSelection(f.original_run, "refusal", "REFUSED"));
  CHECK_FALSE(view.hasAnalysis());  // nothing stored yet
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));

  QSignalSpy ready(&view, &FtriView::analysisReady);
  QSignalSpy computing(&view, &FtriView::computingChanged);
  view.compute();
  CHECK(view.isComputing());
  REQUIRE(ready.wait(60000));
  CHECK_FALSE(view.isComputing());
  REQUIRE(view.hasAnalysis());
  CHECK(computing.count() == 2);
  const auto& table = view.analysis().table;
  REQUIRE(table.size() == 24);
  CHECK(table.front().layer == 2);
  CHECK(table.front().expert == 5);
  CHECK(table.back().layer == 3);
  CHECK(table.back().expert == 1);
  // The map is the resonance, diverging, in the workbench heatmap.
  CHECK(view.heatmap()->data().diverging);
  CHECK(view.heatmap()->data().values.at(1, 5) == Approx(table.front().resonance));
  CHECK(view.topModel()->rowCount() == 24);
  CHECK(view.topModel()->address(0) == ExpertAddress{2, 5});
  CHECK(view.bottomModel()->address(0) == ExpertAddress{3, 1});

  SECTION("apply top-N / bottom-N emits the ranked experts") {
    QSignalSpy requested(&view, &FtriView::tuningRequested);
    view.setApplyCount(3);
    QPushButton* top_suppress = nullptr;
    for (auto* b : view.findChildren<QPushButton*>())
      if (b->text().startsWith("Top-N") && b->text().endsWith("suppress")) top_suppress = b;
    REQUIRE(top_suppress);
    QTest::mouseClick(top_suppress, Qt::LeftButton);
    REQUIRE(requested.count() == 1);
    auto experts = requested.at(0).at(0).value<QVector<ExpertAddress>>();
    REQUIRE(experts.size() == 3);
    for (int i = 0; i < 3; ++i) {
      CHECK(experts[i].layer == table[static_cast<std::size_t>(i)].layer);
      CHECK(experts[i].expert == table[static_cast<std::size_t>(i)].expert);
    }
    CHECK(requested.at(0).at(1).value<ExpertState>() == ExpertState::kSuppressed);

    view.applyBottomStimulate();
    REQUIRE(requested.count() == 2);
    experts = requested.at(1).at(0).value<QVector<ExpertAddress>>();
    REQUIRE(experts.size() == 3);
    for (int i = 0; i < 3; ++i) {
      const auto& row = table[table.size() - 1 - static_cast<std::size_t>(i)];
      CHECK(experts[i] == ExpertAddress{row.layer, row.expert});
    }
    CHECK(requested.at(1).at(1).value<ExpertState>() == ExpertState::kStimulated);

    // What the main window does with it: one undoable command on the tuning document.
    mote::widgets::TuningDocument document(mote::widgets_test::fixtureGeometry());
    QObject::connect(&view, &FtriView::tuningRequested, &document,
                     &mote::widgets::TuningDocument::setStates);
    view.setApplyCount(2);
    view.applyTopSuppress();
    CHECK(document.undoStack()->count() == 1);
    CHECK(document.suppressedCount() == 2);
    CHECK(document.state({2, 5}) == ExpertState::kSuppressed);
    document.undo();
    CHECK(document.empty());
  }

  SECTION("hovering a ranked expert highlights it") {
    QSignalSpy highlighted(&view, &FtriView::expertHighlighted);
    hover(view.topTable(), 1);
    REQUIRE(highlighted.count() >= 1);
    const auto args = highlighted.takeLast();
    CHECK(args.at(0).toInt() == table[1].layer);
    CHECK(args.at(1).toInt() == table[1].expert);
    hover(view.bottomTable(), 0);
    CHECK(highlighted.takeLast().at(1).toInt() == table.back().expert);
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(view.bottomTable()->viewport(), &leave);
    const auto cleared = highlighted.takeLast();
    CHECK(cleared.at(0).toInt() == -1);
    CHECK(cleared.at(1).toInt() == -1);
  }

  SECTION("a second view loads the stored result") {
    FtriView other;
    other.setStore(f.store.get());
    REQUIRE(other.setSelection(f.original_run, "refusal", "REFUSED"));
    REQUIRE(other.hasAnalysis());
    CHECK(other.analysis().result_id == view.analysis().result_id);
    CHECK(other.topModel()->address(0) == ExpertAddress{2, 5});
    // Another class has no stored result.
    REQUIRE(other.setSelection(f.original_run, "refusal", "ANSWERED"));
    CHECK_FALSE(other.hasAnalysis());
  }

  SECTION("exports: map PNG/SVG, table CSV/JSON, tuning JSON") {
    QTemporaryDir dir;
    const QString png = dir.filePath("map.png"), svg = dir.filePath("map.svg");
    QString error;
    REQUIRE(view.exportMapPng(png, &error));
    REQUIRE(view.exportMapSvg(svg, &error));
    CHECK_FALSE(QImage(png).isNull());
    CHECK(QSvgRenderer(svg).isValid());
    REQUIRE(view.exportTableCsv(dir.filePath("ranking.csv")));
    QFile csv(dir.filePath("ranking.csv"));
    REQUIRE(csv.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(csv.readAll());
    CHECK(text.startsWith("rank,layer,moe_layer,expert,resonance,t,p,q,stability\n1,2,1,5,"));
    REQUIRE(view.exportTableJson(dir.filePath("ranking.json")));
    REQUIRE(view.exportTuningJson(dir.filePath("tuning.json"), RankingEnd::kTop, 4,
                                  ExpertState::kSuppressed));
    QFile tuning(dir.filePath("tuning.json"));
    REQUIRE(tuning.open(QIODevice::ReadOnly));
    const auto spec = mote::TuningSpec::parse(tuning.readAll().toStdString());
    REQUIRE(spec.suppress.size() == 4);
    CHECK(spec.stimulate.empty());
    CHECK(spec.suppress[0] == ExpertAddress{2, 5});
  }
}

TEST_CASE("fTRI view reports a failed computation", "[ftri]") {
  SessionFixture f;
  // A class with every prompt: no "rest" group, so the analysis must fail.
  f.store->set_rule_labels(f.tuned_run, "refusal", [&] {
    std::vector<mote::sessions::RuleLabel> labels;
    for (int i = 0; i < SessionFixture::kTunedAnswers; ++i)
      labels.push_back({f.prompt_ids[static_cast<std::size_t>(i)], "ONLY", 0});
    return labels;
  }());
  FtriView view;
  view.setStore(f.store.get());
  view.setStatisticsOptions(quickOptions());
  REQUIRE(view.setSelection(f.tuned_run, "refusal", "ONLY"));
  QSignalSpy failed(&view, &FtriView::computeFailed);
  view.compute();
  REQUIRE(failed.wait(30000));
  CHECK_FALSE(failed.at(0).at(0).toString().isEmpty());
  CHECK_FALSE(view.hasAnalysis());
  CHECK_FALSE(view.isComputing());
}
