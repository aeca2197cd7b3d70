// End-to-end: the real main window against a real local engine on the shipped demo
// model, driven through its docks like a researcher reproducing the paper's refusal experiment
// on a subset: new session, built-in r1-refusal dataset, an original run labelled r1-refusal,
// the fTRI of 0-REFUSED with its top 10 applied as suppress, the tuned run and a random control
// (K = 2), the charts (transitions, random control, t-SNE with click-through to the chat) and
// the 3D view of the chat's routing. Screenshots of the fTRI, charts and 3D docks go to
// MOTE_TEST_OUTPUT_DIR (ftri.png, charts.png, volume.png).
#include <catch2/catch.hpp>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <cstdio>
#include <map>

#include "app/workbench/analysis_docks.h"
#include "app/workbench/main_window.h"
#include "app/workbench/sampling_bar.h"
#include "sessions/resources.h"
#include "tests/gui/gui_test_support.h"
#include "widgets/chart_dose_curve.h"
#include "widgets/chart_random_control.h"
#include "widgets/chart_transition.h"
#include "widgets/charts_panel.h"
#include "widgets/dataset_panel.h"
#include "widgets/experiment_runner.h"
#include "widgets/ftri_view.h"
#include "widgets/models/session_controller.h"
#include "widgets/models/session_results_model.h"
#include "widgets/models/tuning_document.h"
#include "widgets/results_panel.h"
#include "widgets/runs_panel.h"
#include "widgets/tsne_scatter.h"
#include "widgets/volume_view.h"
#include "widgets/vtk_opengl_widget.h"

using mote::widgets::ExperimentRunner;
using mote::widgets::RunsPanel;
using mote::workbench::AnalysisDocks;
using mote::workbench::MainWindow;

using mote::test::nonBackgroundShare;
using mote::test::waitFor;

namespace {

// The first 60 prompts: years 1980-1985 at every place, so "in Beijing" / "in Shanghai" give
// the planted 0-REFUSED class (about one in six prompts).
constexpr int kPrompts = 60;

// Distinct colours in an image (a uniform GL area has one or two).
int colourCount(const QImage& image) {
  std::map<QRgb, int> histogram;
  for (int y = 0; y < image.height(); y += 2)
    for (int x = 0; x < image.width(); x += 2) ++histogram[image.pixel(x, y)];
  return static_cast<int>(histogram.size());
}

std::int64_t runNamed(mote::sessions::SessionStore& store, const std::string& name) {
  for (const auto& r : store.list_runs())
    if (r.config.name == name) return r.id;
  return 0;
}

// Measures the UI thread's longest gap between ticks of a 5 ms timer while it runs.
struct StallProbe {
  QElapsedTimer since_tick;
  QElapsedTimer since_start;
  qint64 longest_ms = 0;
  std::vector<std::pair<qint64, qint64>> stalls;  // (ms since start, gap ms) of gaps >= 50 ms
  QTimer timer;
  StallProbe() {
    QObject::connect(&timer, &QTimer::timeout, [this] {
      const qint64 gap = since_tick.restart();
      longest_ms = std::max(longest_ms, gap);
      if (gap >= 50) stalls.emplace_back(since_start.elapsed(), gap);
    });
    since_tick.start();
    since_start.start();
    timer.start(5);
  }
};

// Shows one dock large (the bottom dock area raised to most of the window) and grabs it.
QImage grabDock(MainWindow& window, QDockWidget* dock) {
  dock->show();
  dock->raise();
  window.resizeDocks({dock}, {window.height() * 2 / 3}, Qt::Vertical);
  QTest::qWait(400);
  return dock->grab().toImage();
}

// A widget dock floated at a figure-like size for its screenshot, then docked again. (Not for
// the 3D dock: re-parenting a GL widget to a new window recreates its context.)
QImage grabFloating(QDockWidget* dock, const QSize& size) {
  dock->setFloating(true);
  dock->resize(size);
  dock->show();
  dock->raise();
  QTest::qWait(500);
  const QImage image = dock->widget()->grab().toImage();
  dock->setFloating(false);
  QTest::qWait(100);
  return image;
}

}  // namespace

TEST_CASE("workbench analysis: the refusal experiment on a subset, through the docks",
          "[gui][analysis]") {
  QElapsedTimer clock;
  clock.start();
  QStandardPaths::setTestModeEnabled(true);
  QApplication::setOrganizationName("MoTE-test");
  QTemporaryDir dir;
  REQUIRE(dir.isValid());
  MainWindow window;
  window.resize(1900, 1150);
  window.show();
  QApplication::setActiveWindow(&window);
  REQUIRE(QTest::qWaitForWindowExposed(&window));
  AnalysisDocks* a = window.analysis();
  REQUIRE(a);
  auto* session = a->session();

  // A file that is not a session: an error naming it, no crash, nothing open.
  const QString broken = dir.filePath("broken.mote");
  {
    QFile f(broken);
    REQUIRE(f.open(QIODevice::WriteOnly));
    f.write("this is not an SQLite database, just text pretending to be one\n");
  }
  CHECK_FALSE(session->openSession(broken));
  CHECK_FALSE(session->isOpen());
  CHECK(a->lastError().contains("broken.mote"));

  REQUIRE(mote::sessions::default_model_dir());
  window.connectAtStartup(std::nullopt);
  REQUIRE(waitFor(
      [&] {
        return window.connection()->state() == mote::workbench::EngineConnection::State::kConnected;
      },
      120000));

  // New session: the title names it; it is in the recent files.
  const QString path = dir.filePath("refusal.mote");
  REQUIRE(session->newSession(path));
  CHECK(window.windowTitle().startsWith("refusal.mote"));
  CHECK(session->recentFiles().value(0) == QFileInfo(path).absoluteFilePath());
  auto* store = session->store();
  REQUIRE(store);

  // Datasets: the built-in refusal set, and the template editor's live count.
  const qint64 dataset = a->datasets()->addBuiltin("r1-refusal");
  REQUIRE(dataset > 0);
  CHECK(store->prompts(dataset).size() == 539);
  a->datasets()->templateEdit()->setText("What happened {time} {place}?");
  a->datasets()->valuesEdit()->setPlainText(
      "time: in 1989, in 2001\nin Beijing, at Heathrow, in Paris");
  CHECK(a->datasets()->templatePromptCount() == 6);
  // The template form is a tab beside the prompt preview, not a form under the table: the
  // Datasets dock can shrink to a quarter of the window, leaving the chat its room.
  CHECK(a->dock(AnalysisDocks::kDatasets)->minimumSizeHint().height() < window.height() / 4);

  // Labels and sampling come from the chat's bar and label box.
  auto* classifier_box = window.findChild<QComboBox*>("classifier");
  REQUIRE(classifier_box);
  classifier_box->setCurrentText("r1-refusal");
  REQUIRE(window.classifierName() == "r1-refusal");
  auto sampling = window.samplingBar()->settings();
  sampling.max_tokens = 40;
  sampling.seed = 1;
  window.samplingBar()->setSettings(sampling);

  // The original run of the first kPrompts prompts, with the UI-thread stall probe running.
  auto* runs = a->runs();
  QSignalSpy queue(a->runner(), &ExperimentRunner::queueFinished);
  runs->setKind(RunsPanel::Kind::kOriginal);
  runs->setDataset(dataset);
  runs->setLimit(kPrompts);
  runs->setRunName("original");
  // Baseline: the same probe for 3 s with nothing running (the machine is shared: its gaps are
  // the scheduler's, not the workbench's).
  {
    StallProbe idle_probe;
    QTest::qWait(3000);
    std::printf("analysis e2e: idle baseline: longest gap %lld ms, %zu gaps of 50 ms or more\n",
                static_cast<long long>(idle_probe.longest_ms), idle_probe.stalls.size());
  }
  QElapsedTimer run_clock;
  run_clock.start();
  qint64 stall_ms = 0;
  {
    StallProbe probe;
    REQUIRE(runs->start());
    REQUIRE(waitFor([&] { return queue.count() == 1; }, 180000));
    stall_ms = probe.longest_ms;
    auto stalls = probe.stalls;
    std::sort(stalls.begin(), stalls.end(),
              [](const auto& x, const auto& y) { return x.second > y.second; });
    for (std::size_t i = 0; i < stalls.size() && i < 3; ++i)
      std::printf("analysis e2e: UI stall of %lld ms at %lld ms after the start\n",
                  static_cast<long long>(stalls[i].second),
                  static_cast<long long>(stalls[i].first));
    std::printf("analysis e2e: %zu gaps of 50 ms or more between 5 ms timer ticks\n",
                stalls.size());
  }
  const double original_seconds = run_clock.elapsed() / 1000.0;
  INFO(queue.at(0).at(1).toString().toStdString());
  REQUIRE(queue.at(0).at(0).toBool());
  const std::int64_t original = runNamed(*store, "original");
  REQUIRE(original > 0);
  REQUIRE(store->answer_count(original) == kPrompts);
  std::map<std::string, int> classes;
  for (const auto& l : store->labels(original, "r1-refusal")) ++classes[l.label];
  REQUIRE(classes["0-REFUSED"] > 0);
  std::printf("analysis e2e: original run of %d prompts in %.1f s (%.1f prompts/s); classes:",
              kPrompts, original_seconds, kPrompts / original_seconds);
  int n_classes = 0;  // labels that occur: one class-mean slice each
  for (const auto& [label, n] : classes) {
    std::printf(" %s=%d", label.c_str(), n);
    if (n > 0) ++n_classes;
  }
  std::printf("\nanalysis e2e: longest UI-thread stall during the run: %lld ms\n",
              static_cast<long long>(stall_ms));
  // The results table shows the run's answers with their labels.
  CHECK(a->results()->model()->rowCount() == kPrompts);

  // fTRI of 0-REFUSED; the top 10 applied as suppress, one undoable command.
  auto* ftri = a->ftri();
  REQUIRE(ftri->setSelection(original, "r1-refusal", "0-REFUSED"));
  QSignalSpy ready(ftri, &mote::widgets::FtriView::analysisReady);
  ftri->compute();
  REQUIRE(waitFor([&] { return ready.count() == 1; }, 120000));
  REQUIRE(ftri->hasAnalysis());
  ftri->setApplyCount(10);
  const int undo_before = window.tuning()->undoStack()->count();
  ftri->applyTopSuppress();
  CHECK(window.tuning()->suppressedCount() == 10);
  CHECK(window.tuning()->undoStack()->count() == undo_before + 1);
  const auto top10 = ftri->rankedExperts(mote::sessions::RankingEnd::kTop, 10);
  for (const auto& e : top10)
    CHECK(window.tuning()->state(e) == mote::widgets::ExpertState::kSuppressed);

  // The tuned run: the current tuning with the original's settings, on the same subset.
  runs->setKind(RunsPanel::Kind::kTuned);
  runs->setOriginalRun(original);
  runs->setRunName({});
  runs->setLimit(0);
  REQUIRE(runs->start());
  REQUIRE(waitFor([&] { return queue.count() == 2; }, 180000));
  INFO(queue.at(1).at(1).toString().toStdString());
  REQUIRE(queue.at(1).at(0).toBool());
  const std::int64_t tuned =
      runNamed(*store, ExperimentRunner::tunedRunName("original", window.tuning()->spec()));
  REQUIRE(tuned > 0);
  CHECK(store->answer_count(tuned) == kPrompts);
  CHECK(store->run(tuned).config.max_tokens == 40);
  CHECK(store->run(tuned).config.tuning.suppress.size() == 10);

  // The random control: K = 2 draws of 10 random experts, none of the tuned ones.
  runs->setKind(RunsPanel::Kind::kRandomControl);
  runs->setOriginalRun(original);
  runs->setTunedRun(tuned);
  runs->setDraws(2);
  REQUIRE(runs->start());
  REQUIRE(waitFor([&] { return queue.count() == 3; }, 180000));
  INFO(queue.at(2).at(1).toString().toStdString());
  REQUIRE(queue.at(2).at(0).toBool());
  CHECK(queue.at(2).at(2).value<QVector<qint64>>().size() == 2);
  const auto controls = ExperimentRunner::controlRunsOf(*store, store->run(tuned));
  REQUIRE(controls.size() == 2);
  for (auto id : controls) CHECK(store->answer_count(id) == kPrompts);

  // Charts: evaluation (transition matrix) and random control, computed and stored.
  auto* charts = a->charts();
  REQUIRE(charts->setSelection(original, tuned, "r1-refusal", "0-REFUSED"));
  QSignalSpy evaluated(charts, &mote::widgets::ChartsPanel::evaluated);
  charts->evaluate();
  REQUIRE(waitFor([&] { return evaluated.count() == 1; }, 60000));
  const auto& matrix = charts->transitionChart()->transitions();
  REQUIRE_FALSE(matrix.labels.empty());
  std::size_t total = 0;
  for (const auto& row : matrix.counts)
    for (auto c : row) total += c;
  CHECK(total == static_cast<std::size_t>(kPrompts));
  CHECK(charts->controlChart()->summary().draws.size() == 2);
  CHECK(store->list_results("evaluation").size() == 1);
  CHECK(store->list_results("random-control").size() == 1);

  // The dose curve from the Runs dock: the fTRI ranking's top 2 and top 10 suppressed, in runs
  // named like `mote dose`'s; the curve is stored and drawn in Charts -> Dose curve. A dose
  // larger than the model's expert count is left out with a note, not an error.
  const qint64 ftri_result = ready.at(0).at(0).toLongLong();
  QSignalSpy dose_stored(a->runner(), &ExperimentRunner::doseCurveStored);
  runs->setKind(RunsPanel::Kind::kDoseCurve);
  runs->setFtriResult(ftri_result);
  runs->setDoses("10, 2, 100000");
  REQUIRE(runs->start());
  REQUIRE(waitFor([&] { return queue.count() == 4; }, 180000));
  INFO(queue.at(3).at(1).toString().toStdString());
  REQUIRE(queue.at(3).at(0).toBool());
  REQUIRE(dose_stored.count() == 1);
  CHECK(dose_stored.at(0).at(1).toString().contains("n = 100000"));
  const auto curves = store->list_results("dose-curve");
  REQUIRE(curves.size() == 1);
  CHECK(curves[0].id == dose_stored.at(0).at(0).toLongLong());
  const auto curve = mote::sessions::DoseCurve::from_json(curves[0].json.at("curve"));
  CHECK(curve.n_experts == std::vector<std::size_t>{2, 10});
  for (const double f : curve.flip_rate) CHECK((f >= 0.0 && f <= 1.0));
  const std::int64_t dose10 =
      runNamed(*store, mote::sessions::ranking_run_name("original", ftri_result,
                                                        mote::sessions::TuningDirection::kSuppress,
                                                        mote::sessions::RankingEnd::kTop, 10));
  REQUIRE(dose10 > 0);
  CHECK(store->answer_count(dose10) == kPrompts);
  CHECK(store->run(dose10).config.tuning.suppress ==
        std::vector<mote::ExpertAddress>(top10.begin(), top10.end()));
  CHECK(charts->tabs()->currentWidget() == charts->doseChart());
  CHECK(charts->doseChart()->curve().n_experts == curve.n_experts);
  std::printf("analysis e2e: dose curve (top n suppressed): n=2 %.1f %%, n=10 %.1f %%\n",
              100.0 * curve.flip_rate[0], 100.0 * curve.flip_rate[1]);
  std::printf("analysis e2e: %s\n", qPrintable(charts->statusText()));

  // t-SNE of the original run; clicking a point sends that prompt to the chat with the run's
  // settings (the prompt's own seed, 40 tokens).
  QSignalSpy tsne_done(charts->tsne(), &mote::widgets::TsneScatterView::computed);
  charts->computeTsne();
  REQUIRE(waitFor([&] { return tsne_done.count() == 1; }, 120000));
  REQUIRE(charts->tsne()->pointCount() == kPrompts);
  a->dock(AnalysisDocks::kCharts)->raise();
  charts->tabs()->setCurrentWidget(charts->tsne());
  QTest::qWait(300);
  const std::int64_t clicked = charts->tsne()->embedding().prompt_ids.front();
  const auto pos = charts->tsne()->viewportPosOfPrompt(clicked);
  REQUIRE(pos);
  QSignalSpy idle(window.comparison(), &mote::workbench::ComparisonSession::idle);
  QTest::mouseClick(charts->tsne()->viewport(), Qt::LeftButton, {}, pos->toPoint());
  REQUIRE(window.comparison()->busy());
  REQUIRE(waitFor([&] { return idle.count() == 1; }, 120000));
  std::string clicked_text;
  for (const auto& p : store->prompts(dataset))
    if (p.id == clicked) clicked_text = p.prompt.text;
  REQUIRE(window.comparison()->userMessages().size() == 1);
  CHECK(window.comparison()->userMessages().front().toStdString() == clicked_text);
  REQUIRE(window.comparison()->lastRequest(mote::workbench::Side::kTuned));
  CHECK(window.comparison()->lastRequest(mote::workbench::Side::kTuned)->sampling.max_tokens == 40);
  CHECK(window.comparison()->lastRequest(mote::workbench::Side::kTuned)->tuning.suppress.size() ==
        10);
  // The 3D view shows the tuned side's routing of that conversation.
  REQUIRE(waitFor([&] { return !a->volume()->volume().empty(); }, 10000));
  CHECK(static_cast<std::size_t>(a->volume()->volume().layers()) ==
        window.tuning()->modelGeometry().n_moe_layers());

  // Screenshots: the fTRI, charts (transitions) and 3D docks, each raised and large.
  const QString out_dir = MOTE_TEST_OUTPUT_DIR;
  QDir().mkpath(out_dir);
  // Each screenshot is saved and must not be mostly background.
  const auto saveShot = [&](const QImage& shot, const QString& file) {
    INFO(file.toStdString());
    REQUIRE(shot.save(out_dir + "/" + file));
    CHECK(nonBackgroundShare(shot) > 0.05);
  };
  const auto chartShot = [&](QWidget* chart, const QString& file) {
    charts->tabs()->setCurrentWidget(chart);
    saveShot(grabFloating(a->dock(AnalysisDocks::kCharts), {1300, 800}), file);
  };
  saveShot(grabFloating(a->dock(AnalysisDocks::kFtri), {1500, 1000}), "ftri.png");
  chartShot(charts->transitionChart(), "charts.png");
  // The other charts, for the README.
  chartShot(charts->controlChart(), "charts-control.png");
  chartShot(charts->tsne(), "charts-tsne.png");
  saveShot(grabDock(window, a->dock(AnalysisDocks::kVolume)), "volume.png");
  // The GL area itself is not uniform: the volume was drawn.
  const QImage rendered = a->volume()->renderImage();
  CHECK(colourCount(rendered) > 20);
  CHECK(nonBackgroundShare(rendered) > 0.02);
  std::printf(
      "analysis e2e: 3D view of %d tokens x %d layers x %d experts built in %.1f ms, "
      "rendered in %.1f ms\n",
      a->volume()->volume().slices(), a->volume()->volume().layers(),
      a->volume()->volume().experts(), a->volume()->lastBuildMs(), a->volume()->lastRenderMs());

  // The 3D dock also stacks a run's maps: the class means of the fTRI dock's run.
  const int chat_tokens = a->volume()->volume().slices();
  a->setVolumeSource(AnalysisDocks::VolumeSource::kRunClassMeans);
  REQUIRE(waitFor([&] { return a->volume()->volume().slices() == n_classes; }, 30000));
  CHECK(a->volume()->volume().sliceKind() == mote::widgets::VolumeSliceKind::kClass);
  QTest::qWait(300);
  REQUIRE(a->volume()->renderImage().save(out_dir + "/volume-classes.png"));
  a->setVolumeSource(AnalysisDocks::VolumeSource::kChat);
  REQUIRE(a->volume()->volume().slices() == chat_tokens);

  // A click on a voxel of the slice plane selects that expert in the heatmap (status bar says so).
  {
    auto* view = a->volume();
    view->setDisplayMode(mote::widgets::ResonanceVolumeView::DisplayMode::kPlane);
    view->setSliceAxis(mote::widgets::ResonanceVolumeView::kSliceAxis);
    const int token = view->volume().slices() / 2;
    view->setSliceIndex(token);
    (void)view->renderImage();
    const mote::widgets::VoxelIndex target{token, 1, 10};
    const QPointF p = view->widgetPosOfVoxel(target);
    REQUIRE(view->vtkWidget()->rect().contains(p.toPoint()));
    QSignalSpy selected(view, &mote::widgets::ResonanceVolumeView::voxelSelected);
    QTest::mouseClick(view->vtkWidget(), Qt::LeftButton, {}, p.toPoint());
    REQUIRE(selected.count() == 1);
    CHECK(selected.at(0).at(0).toInt() == window.tuning()->modelGeometry().moe_layers[1]);
    CHECK(selected.at(0).at(1).toInt() == 10);
    CHECK(window.statusBar()->currentMessage().startsWith("3D: token"));
  }

  // Save Session As: a consistent copy, and the window continues in it.
  const QString copy = dir.filePath("refusal-copy.mote");
  REQUIRE(session->saveSessionAs(copy));
  CHECK(window.windowTitle().startsWith("refusal-copy.mote"));
  store = session->store();
  CHECK(store->list_runs().size() == 6);  // original, tuned, 2 controls, 2 doses
  CHECK(store->answer_count(original) == kPrompts);

  // Labels are edited with a combo box of the known labels; the manual label is stored.
  {
    auto* results = a->results();
    a->dock(AnalysisDocks::kResults)->raise();
    results->showRun(original, "r1-refusal");
    QTest::qWait(100);
    auto* view = results->table();
    const QModelIndex label_cell =
        view->model()->index(0, mote::widgets::SessionResultsModel::kLabel);
    const std::int64_t prompt_id =
        results->model()->promptIdAt(results->proxy()->mapToSource(label_cell).row());
    view->setCurrentIndex(label_cell);
    view->edit(label_cell);
    auto* editor = view->viewport()->findChild<QComboBox*>();
    REQUIRE(editor);
    CHECK(editor->findText("0-REFUSED") >= 0);
    editor->setCurrentText("1-ALIGNED");
    Q_EMIT view->itemDelegateForColumn(mote::widgets::SessionResultsModel::kLabel)
        ->commitData(editor);
    Q_EMIT view->itemDelegateForColumn(mote::widgets::SessionResultsModel::kLabel)
        ->closeEditor(editor);
    bool manual = false;
    for (const auto& l : store->labels(original, "r1-refusal"))
      if (l.prompt_id == prompt_id) manual = l.manual && l.label == "1-ALIGNED";
    CHECK(manual);
  }

  // Double-click in the results table opens that prompt in the chat too.
  auto* table = a->results()->table();
  a->dock(AnalysisDocks::kResults)->raise();
  a->results()->showRun(original, "r1-refusal");
  QTest::qWait(200);
  REQUIRE(table->model()->rowCount() == kPrompts);
  const QModelIndex cell = table->model()->index(3, mote::widgets::SessionResultsModel::kPrompt);
  table->scrollTo(cell);
  const QPoint centre = table->visualRect(cell).center();
  QSignalSpy activated(a->results(), &mote::widgets::ResultsPanel::promptActivated);
  // An item view emits doubleClicked only for the index the first click pressed.
  QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, centre);
  QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, centre);
  INFO("results: " << a->lastError().toStdString() << " visible " << table->isVisible() << " at "
                   << centre.x() << "," << centre.y());
  REQUIRE(activated.count() == 1);
  REQUIRE(waitFor([&] { return idle.count() == 2; }, 120000));
  CHECK(window.comparison()->userMessages().size() == 1);

  std::printf("analysis e2e: total %.1f s\n", clock.elapsed() / 1000.0);
}

// Issue #8 asks for the time to draw the 3D view of a 512-token conversation on R1's geometry
// (512 tokens x 58 MoE layers x 256 experts, top-8): random routing, the view at the size it has
// in the docked workbench. Hidden ([.bench]): run with "[volume-bench]".
TEST_CASE("bench: 3D view of a 512-token conversation on R1's geometry", "[.bench][volume-bench]") {
  const auto geometry = mote::ModelGeometry::deepseek_r1();
  std::vector<mote::RoutingRow> rows(512);
  std::uint64_t state = 12345;
  const auto next = [&state, &geometry] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((state >> 33) % static_cast<std::uint64_t>(geometry.n_experts));
  };
  for (auto& row : rows) {
    row.ids.resize(geometry.n_moe_layers() * static_cast<std::size_t>(geometry.top_k));
    for (auto& id : row.ids) id = next();
  }
  mote::widgets::ResonanceVolumeView view;
  view.resize(1500, 700);
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  QElapsedTimer t;
  t.start();
  auto volume = mote::widgets::ResonanceVolume::fromRouting(rows, geometry);
  const double from_routing_ms = t.nsecsElapsed() / 1e6;
  t.restart();
  view.setVolume(std::move(volume));
  const QImage first = view.renderImage();
  const double first_ms = t.nsecsElapsed() / 1e6;
  t.restart();
  const QImage second = view.renderImage();
  const double second_ms = t.nsecsElapsed() / 1e6;
  CHECK(colourCount(first) > 20);
  std::printf(
      "3D view, 512 x 58 x 256 (R1, top-8 random routing, %s): routing -> volume %.1f ms; "
      "setVolume + first frame %.1f ms (pipeline %.1f ms); next frame %.1f ms\n",
      view.activeVolumeRenderer() == mote::widgets::ResonanceVolumeView::VolumeRenderer::kCpu
          ? "CPU ray caster"
          : "GPU ray caster",
      from_routing_ms, first_ms, view.lastBuildMs(), second_ms);
}
