// End-to-end: the real main window against a real local engine (mote-engine serve on the
// shipped demo model), driven like a user: type a prompt, wait for both panes, click an expert on
// the heatmap to suppress it, re-run, and check what the tuned request carried and routed.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QImage>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <cstdio>
#include <filesystem>
#include <set>

#include "app/workbench/analysis_docks.h"
#include "app/workbench/main_window.h"
#include "app/workbench/sampling_bar.h"
#include "sessions/resources.h"
#include "tests/gui/gui_test_support.h"
#include "widgets/chat_pane.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/heatmap_source.h"
#include "widgets/models/tuning_document.h"

namespace fs = std::filesystem;
using mote::workbench::MainWindow;
using mote::workbench::Side;

using mote::test::nonBackgroundShare;
using mote::test::waitFor;

TEST_CASE("workbench: chat side by side, suppress by clicking the heatmap, re-run", "[gui]") {
  QStandardPaths::setTestModeEnabled(true);  // QSettings of the test, not the user's
  QApplication::setOrganizationName("MoTE-test");
  MainWindow window;
  window.resize(1600, 1000);
  window.show();
  // Shortcuts (Ctrl+Return, Ctrl+Z) need the active window; Xvfb has no window manager.
  QApplication::setActiveWindow(&window);
  REQUIRE(QTest::qWaitForWindowExposed(&window));
  // The first-start layout fits a 1600 x 1000 screen and leaves the chat and the heatmap two
  // thirds of the height (the analysis docks, tabbed at the bottom, get the rest).
  QTest::qWait(100);
  CHECK(window.width() <= 1600);
  CHECK(window.heatmap()->width() >= 400);
  CHECK(window.analysis()->dock(mote::workbench::AnalysisDocks::kDatasets)->height() <
        window.height() * 2 / 5);
  // First start (no remembered connection): the shipped demo model, without asking.
  REQUIRE(mote::sessions::default_model_dir());
  window.connectAtStartup(std::nullopt);
  REQUIRE(waitFor(
      [&] {
        return window.connection()->state() == mote::workbench::EngineConnection::State::kConnected;
      },
      120000));
  const auto geometry = window.tuning()->modelGeometry();
  REQUIRE(geometry.n_experts > 0);

  QSignalSpy finished(window.comparison(), &mote::workbench::ComparisonSession::answerFinished);
  QSignalSpy idle(window.comparison(), &mote::workbench::ComparisonSession::idle);
  auto sampling = window.samplingBar()->settings();
  sampling.max_tokens = 40;
  sampling.seed = 7;
  window.samplingBar()->setSettings(sampling);
  QTest::keyClicks(window.promptEdit(), "What happened in 1989 in Beijing?");
  // The UI thread's longest stall while both panes stream: the largest gap between ticks of a
  // 5 ms timer (printed, not asserted: the machine is shared).
  QElapsedTimer since_tick;
  qint64 longest_stall_ms = 0;
  QTimer probe;
  QObject::connect(&probe, &QTimer::timeout,
                   [&] { longest_stall_ms = std::max(longest_stall_ms, since_tick.restart()); });
  QTest::keyClick(window.promptEdit(), Qt::Key_Return, Qt::ControlModifier);
  REQUIRE(window.comparison()->busy());
  since_tick.start();
  probe.start(5);
  REQUIRE(waitFor([&] { return idle.count() == 1; }, 120000));
  probe.stop();
  std::printf("workbench: longest UI-thread stall while two panes streamed: %lld ms\n",
              static_cast<long long>(longest_stall_ms));
  REQUIRE(finished.count() == 2);
  CHECK(window.pane(Side::kOriginal)->lastAnswerTurn() >= 0);
  CHECK(window.pane(Side::kTuned)->lastAnswerTurn() >= 0);
  // Without a tuning both sides are the same request (same seed): same answer.
  const auto first_original = window.comparison()->history(Side::kOriginal).back().content;
  const auto first_tuned = window.comparison()->history(Side::kTuned).back().content;
  CHECK(first_original == first_tuned);

  // The most used expert of the tuned side's answer, suppressed by a click on its cell.
  window.setHeatmapMode(mote::widgets::HeatmapMode::kPrompt, Side::kTuned);
  const auto& counts = window.accumulator(Side::kTuned)->promptCounts();
  const auto best = std::max_element(counts.values.begin(), counts.values.end());
  REQUIRE(*best > 0);
  const auto address = geometry.address_of(static_cast<std::size_t>(best - counts.values.begin()));
  auto center = window.heatmap()->cellCenter(address);
  REQUIRE(center);
  QTest::mouseClick(window.heatmap(), Qt::LeftButton, Qt::NoModifier, center->toPoint());
  CHECK(window.tuning()->state(address) == mote::widgets::ExpertState::kSuppressed);
  // Undo and redo through the document's stack (Ctrl+Z / Ctrl+Shift+Z on the heatmap).
  window.heatmap()->setFocus();
  QTest::keyClick(window.heatmap(), Qt::Key_Z, Qt::ControlModifier);
  CHECK(window.tuning()->state(address) == mote::widgets::ExpertState::kNone);
  QTest::keyClick(window.heatmap(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  CHECK(window.tuning()->state(address) == mote::widgets::ExpertState::kSuppressed);

  finished.clear();
  window.rerunConversation();
  REQUIRE(waitFor([&] { return idle.count() == 2; }, 120000));
  REQUIRE(finished.count() == 2);
  const auto& request = window.comparison()->lastRequest(Side::kTuned);
  REQUIRE(request);
  REQUIRE(request->tuning.suppress.size() == 1);
  CHECK(request->tuning.suppress[0] == address);
  CHECK(window.comparison()->lastRequest(Side::kOriginal)->tuning.empty());
  // The tuned pane's routing never gives the suppressed expert a non-zero weight.
  const int moe = geometry.moe_index(address.layer);
  int rows = 0;
  for (const auto& args : finished) {
    if (args.at(0).value<Side>() != Side::kTuned) continue;
    const auto result = args.at(1).value<mote::sessions::GenerationResult>();
    for (const auto& row : result.routing) {
      ++rows;
      REQUIRE(row.weights.size() == row.ids.size());
      for (int k = 0; k < geometry.top_k; ++k) {
        const std::size_t slot = static_cast<std::size_t>(moe * geometry.top_k + k);
        if (row.ids[slot] == address.expert) CHECK(row.weights[slot] == 0.0f);
      }
    }
  }
  CHECK(rows > 0);
  CHECK(window.accumulator(Side::kTuned)
            ->promptCounts()
            .at(static_cast<std::size_t>(moe), static_cast<std::size_t>(address.expert)) == 0);

  window.setHeatmapMode(mote::widgets::HeatmapMode::kDifference, Side::kTuned);
  QTest::qWait(100);
  const QString out_dir = MOTE_TEST_OUTPUT_DIR;
  QDir().mkpath(out_dir);
  const QImage shot = window.grab().toImage();
  REQUIRE(shot.save(out_dir + "/workbench.png"));
  CHECK(shot.width() >= 1200);
  CHECK(nonBackgroundShare(shot) > 0.05);
}
