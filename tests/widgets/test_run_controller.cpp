// RunController + RunPanel: runs execute off the UI thread with progress, rate, ETA and cancel;
// first with a job that only writes the session (threading, cancel, resume), then against a real
// local engine on the tiny model (sessions::execute_run through LocalEngine).
#include <catch2/catch.hpp>

#include <QApplication>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "session_fixture.h"
#include "sessions/local_engine.h"
#include "widgets/run_controller.h"
#include "widgets/run_panel.h"

using mote::sessions::RunProgress;
using mote::sessions::RunStatus;
using mote::sessions::SessionStore;
using mote::widgets::RunController;
using mote::widgets::RunPanel;
using mote::widgets_test::SessionFixture;

namespace {

// A job that answers the run's pending prompts itself (synthetic answers, one transaction each,
// like execute_run), `delay` per prompt, polling cancel between prompts.
RunController::Job storeOnlyJob(std::chrono::milliseconds delay,
                                std::atomic<Qt::HANDLE>* worker_thread) {
  return [delay, worker_thread](SessionStore& store, std::int64_t run_id,
                                const std::function<void(const RunProgress&)>& progress,
                                const std::atomic<bool>& cancel) {
    *worker_thread = QThread::currentThreadId();
    store.set_run_status(run_id, RunStatus::kRunning);
    const auto pending = store.pending_prompts(run_id);
    RunProgress p;
    p.total = SessionFixture::kPrompts;
    p.done = store.answer_count(run_id);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& prompt : pending) {
      if (cancel) {
        store.set_run_status(run_id, RunStatus::kCancelled);
        return RunStatus::kCancelled;
      }
      std::this_thread::sleep_for(delay);
      mote::sessions::AnswerRecord a;
      a.text = "answer to " + prompt.prompt.text;
      a.finish_reason = "stop";
      a.prompt_map = SessionFixture::promptMap(static_cast<int>(prompt.position), false);
      store.record_answer(run_id, prompt.id, a);
      ++p.done;
      ++p.done_this_call;
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      p.prompts_per_second = p.done_this_call / s;
      p.eta_seconds = (p.total - p.done) / p.prompts_per_second;
      p.last_label = "L" + std::to_string(p.done);
      progress(p);
    }
    store.set_run_status(run_id, RunStatus::kFinished);
    return RunStatus::kFinished;
  };
}

std::int64_t emptyRun(SessionFixture& f, const std::string& name) {
  mote::sessions::RunConfig c;
  c.dataset_id = f.dataset_id;
  c.name = name;
  c.model_id = "synthetic";
  c.geometry = mote::widgets_test::fixtureGeometry();
  return f.store->create_run(c);
}

std::filesystem::path engineExecutable() {
  if (const char* env = std::getenv("MOTE_ENGINE_EXECUTABLE"); env && *env) return env;
  return std::filesystem::path(MOTE_BIN_DIR) / "mote-engine";
}

}  // namespace

TEST_CASE("run controller executes a job off the UI thread with progress and cancel", "[run]") {
  SessionFixture f;
  const std::int64_t run = emptyRun(f, "fresh");
  RunController controller;
  controller.setProgressInterval(0);  // every prompt
  RunPanel panel;
  panel.setController(&controller);
  panel.show();
  QSignalSpy started(&controller, &RunController::started);
  QSignalSpy progress(&controller, &RunController::progress);
  QSignalSpy finished(&controller, &RunController::finished);
  std::atomic<Qt::HANDLE> worker{nullptr};

  SECTION("to the end") {
    REQUIRE(controller.startJob(QString::fromStdString(f.path), run,
                                storeOnlyJob(std::chrono::milliseconds(5), &worker)));
    CHECK(controller.isRunning());
    CHECK_FALSE(controller.startJob(QString::fromStdString(f.path), run,
                                    storeOnlyJob(std::chrono::milliseconds(0), &worker)));
    REQUIRE(finished.wait(30000));
    CHECK_FALSE(controller.isRunning());
    CHECK(worker.load() != QThread::currentThreadId());
    REQUIRE(started.count() == 1);
    CHECK(started.at(0).at(1).toULongLong() == 0);
    CHECK(started.at(0).at(2).toULongLong() == SessionFixture::kPrompts);
    REQUIRE(progress.count() == SessionFixture::kPrompts);
    const auto last = progress.last();
    CHECK(last.at(1).toULongLong() == SessionFixture::kPrompts);
    CHECK(last.at(2).toULongLong() == SessionFixture::kPrompts);
    CHECK(last.at(3).toDouble() > 0.0);     // rate
    CHECK(last.at(4).toDouble() == 0.0);    // ETA at the end
    CHECK(last.at(5).toString() == "L24");  // last label
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFinished);
    CHECK(f.store->answer_count(run) == SessionFixture::kPrompts);
    // The panel followed.
    CHECK(panel.progressBar()->value() == SessionFixture::kPrompts);
    CHECK(panel.progressBar()->maximum() == SessionFixture::kPrompts);
    CHECK(panel.rateText().startsWith("rate: "));
    CHECK(panel.statusText() == "Finished");
    CHECK_FALSE(panel.cancelButton()->isEnabled());
  }

  SECTION("cancel from the panel, then resume") {
    REQUIRE(controller.startJob(QString::fromStdString(f.path), run,
                                storeOnlyJob(std::chrono::milliseconds(40), &worker)));
    REQUIRE(progress.wait(10000));
    CHECK(panel.cancelButton()->isEnabled());
    CHECK(panel.etaText().startsWith("ETA: 0:0"));
    QTest::mouseClick(panel.cancelButton(), Qt::LeftButton);
    REQUIRE(finished.wait(10000));
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kCancelled);
    const auto answered = f.store->answer_count(run);
    CHECK(answered >= 1);
    CHECK(answered < static_cast<std::size_t>(SessionFixture::kPrompts));
    CHECK(f.store->run(run).status == RunStatus::kCancelled);
    CHECK(panel.statusText().startsWith("Cancelled"));

    started.clear();
    finished.clear();
    REQUIRE(controller.startJob(QString::fromStdString(f.path), run,
                                storeOnlyJob(std::chrono::milliseconds(0), &worker)));
    REQUIRE(finished.wait(30000));
    REQUIRE(started.count() == 1);
    CHECK(started.at(0).at(1).toULongLong() == answered);  // resumed, not restarted
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFinished);
    CHECK(f.store->answer_count(run) == SessionFixture::kPrompts);
  }

  SECTION("a failing job reports the error") {
    REQUIRE(controller.startJob(
        QString::fromStdString(f.path), run,
        [](SessionStore&, std::int64_t, const std::function<void(const RunProgress&)>&,
           const std::atomic<bool>&) -> RunStatus {
          throw std::runtime_error("engine exploded");
        }));
    REQUIRE(finished.wait(10000));
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFailed);
    CHECK(finished.at(0).at(2).toString() == "engine exploded");
    CHECK(panel.statusText() == "Failed: engine exploded");
  }

  SECTION("a missing session file fails cleanly") {
    REQUIRE(controller.startJob(QStringLiteral("/nonexistent/dir/x.mote"), run,
                                storeOnlyJob(std::chrono::milliseconds(0), &worker)));
    REQUIRE(finished.wait(10000));
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFailed);
    CHECK_FALSE(finished.at(0).at(2).toString().isEmpty());
  }
}

TEST_CASE("run controller drives execute_run against a local engine on the tiny model",
          "[run][engine]") {
  const auto executable = engineExecutable();
  INFO("mote-engine at " << executable.string()
                         << " (the widget tests depend on the mote-engine target; or set "
                            "MOTE_ENGINE_EXECUTABLE)");
  REQUIRE(std::filesystem::exists(executable));
  QTemporaryDir dir;
  const std::filesystem::path model = dir.filePath("model").toStdString();
  std::filesystem::create_directories(model);
  const std::filesystem::path data = MOTE_TEST_DATA_DIR;
  for (const char* file : {"config.json", "model.safetensors", "generation_config.json"})
    std::filesystem::create_symlink(data / "v3-tiny" / file, model / file);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"})
    std::filesystem::create_symlink(data / "tiny-tokenizer" / file, model / file);
  mote::sessions::LocalEngineOptions options;
  options.engine_executable = executable;
  options.model_dir = model;
  options.extra_args = {"--threads", "1"};
  options.start_timeout = std::chrono::seconds(90);
  auto engine = mote::sessions::LocalEngine::start(options);
  auto client = engine->client();
  const auto geometry = client.model().geometry;

  const std::string path = dir.filePath("engine.mote").toStdString();
  auto store = SessionStore::create(path);
  mote::sessions::Dataset d;
  d.name = "tiny";
  d.system_prompt = "Answer briefly.";
  for (int i = 0; i < 6; ++i) d.prompts.push_back({"Tell me about topic " + std::to_string(i), {}});
  const auto dataset = store.add_dataset(d);
  mote::sessions::RunConfig c;
  c.dataset_id = dataset;
  c.name = "tiny run";
  c.model_id = "v3-tiny";
  c.geometry = geometry;
  c.sampling = {{"temperature", 0.0}};
  c.seed = 3;
  c.max_tokens = 6;
  const auto run = store.create_run(c);

  RunController controller;
  controller.setProgressInterval(0);
  RunPanel panel;
  panel.setController(&controller);
  QSignalSpy progress(&controller, &RunController::progress);
  QSignalSpy finished(&controller, &RunController::finished);
  auto classifier = std::make_shared<mote::sessions::AnswerClassifier>(
      mote::sessions::AnswerClassifier::from_json(
          {{"name", "any"},
           {"labels", {"LONG", "SHORT"}},
           {"rules",
            {{{"label", "LONG"}, {"answer_regex", "(?s).{8,}"}},
             {{"label", "SHORT"}, {"default", true}}}}},
          "test"));

  SECTION("to the end, with labels and maps") {
    mote::widgets::RunEngineOptions o;
    o.classifier = classifier;
    REQUIRE(controller.start(QString::fromStdString(path), run, client, o));
    REQUIRE(finished.wait(120000));
    INFO(finished.at(0).at(2).toString().toStdString());
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFinished);
    CHECK(progress.count() == 6);
    CHECK(progress.last().at(1).toULongLong() == 6);
    CHECK(store.answer_count(run) == 6);
    CHECK(store.run(run).status == RunStatus::kFinished);
    const auto labels = store.labels(run, "any");
    REQUIRE(labels.size() == 6);
    CHECK_FALSE(labels[0].label.empty());
    std::vector<std::int64_t> ids;
    CHECK(store.prompt_maps(run, ids).n_prompts == 6);
    CHECK(panel.progressBar()->value() == 6);
  }
  SECTION("cancel after the first prompt, then resume") {
    const auto cancel_on_progress = QObject::connect(
        &controller, &RunController::progress, &controller, [&controller] { controller.cancel(); });
    REQUIRE(controller.start(QString::fromStdString(path), run, client));
    REQUIRE(finished.wait(120000));
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kCancelled);
    const auto answered = store.answer_count(run);
    CHECK(answered >= 1);
    CHECK(answered < 6);
    QObject::disconnect(cancel_on_progress);
    finished.clear();
    REQUIRE(controller.start(QString::fromStdString(path), run, client));
    REQUIRE(finished.wait(120000));
    CHECK(finished.at(0).at(1).value<RunStatus>() == RunStatus::kFinished);
    CHECK(store.answer_count(run) == 6);
  }
}

TEST_CASE("run panel formats durations", "[run]") {
  CHECK(RunPanel::formatDuration(5.2) == "0:05");
  CHECK(RunPanel::formatDuration(151) == "2:31");
  CHECK(RunPanel::formatDuration(3723) == "1:02:03");
  CHECK(RunPanel::formatDuration(-1) == QString::fromUtf8("\u2013"));
}
