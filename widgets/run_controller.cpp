#include "widgets/run_controller.h"

#include <QElapsedTimer>
#include <exception>

#include "widgets/models/session_task.h"

namespace mote::widgets {

RunController::RunController(QObject* parent) : QObject(parent), task_(new SessionTask(this)) {
  qRegisterMetaType<sessions::RunStatus>();
}

// Deleting the task cancels the worker and waits for it; nothing is delivered any more.
RunController::~RunController() {
  delete task_;
}

bool RunController::isRunning() const {
  return task_->isBusy();
}

bool RunController::start(const QString& session_path, std::int64_t run_id,
                          const sessions::EngineClient& client, RunEngineOptions options) {
  return startJob(
      session_path, run_id,
      [client, options](sessions::SessionStore& store, std::int64_t id,
                        const std::function<void(const sessions::RunProgress&)>& progress,
                        const std::atomic<bool>& cancel) {
        sessions::RunExecutorOptions o;
        o.completion_maps = options.completion_maps;
        o.weighted_maps = options.weighted_maps;
        o.classifier = options.classifier.get();
        o.classifier_name = options.classifier_name;
        return sessions::execute_run(store, id, client, o, progress, &cancel);
      });
}

bool RunController::startJob(const QString& session_path, std::int64_t run_id, Job job) {
  if (isRunning()) return false;
  run_id_ = run_id;
  last_ = {};
  cancel_requested_ = false;
  const int interval = interval_ms_;
  const auto work = [this, run_id, job = std::move(job), interval](
                        sessions::SessionStore& store,
                        const SessionTaskControl& control) -> sessions::RunStatus {
    // Progress reaches the UI as posted calls, at most one per `interval` (the last one always).
    const auto post_progress = [this, &control](const sessions::RunProgress& p) {
      control.post([this, p] { onProgress(p); });
    };
    const auto info = store.run(run_id);
    std::size_t total = 0;
    for (const auto& d : store.list_datasets())
      if (d.id == info.config.dataset_id) total = d.n_prompts;
    const std::size_t done = store.answer_count(run_id);
    control.post([this, run_id, done, total] {
      last_.done = done;
      last_.total = total;
      Q_EMIT started(run_id, done, total);
    });
    QElapsedTimer since_last;
    since_last.start();
    sessions::RunProgress pending;
    bool have_pending = false;
    const auto report = [&](const sessions::RunProgress& p) {
      pending = p;
      have_pending = true;
      if (since_last.elapsed() >= interval || p.done >= p.total) {
        post_progress(p);
        have_pending = false;
        since_last.restart();
      }
    };
    sessions::RunStatus status = sessions::RunStatus::kFailed;
    try {
      status = job(store, run_id, report, control.cancelFlag());
    } catch (...) {
      if (have_pending) post_progress(pending);
      throw;
    }
    if (have_pending) post_progress(pending);
    return status;
  };
  Q_EMIT runningChanged(true);
  task_->start(
      session_path, work, [this](sessions::RunStatus status) { onFinished(status, {}); },
      [this](const QString& error) {
        onFinished(
            cancel_requested_ ? sessions::RunStatus::kCancelled : sessions::RunStatus::kFailed,
            error);
      });
  return true;
}

void RunController::cancel() {
  if (!isRunning()) return;
  cancel_requested_ = true;
  task_->cancel();
}

void RunController::onProgress(const sessions::RunProgress& p) {
  last_ = p;
  Q_EMIT progress(run_id_, p.done, p.total, p.prompts_per_second, p.eta_seconds,
                  QString::fromStdString(p.last_label));
}

void RunController::onFinished(sessions::RunStatus status, const QString& error) {
  Q_EMIT runningChanged(false);
  Q_EMIT finished(run_id_, status, error);
}

bool RunController::wait(int msecs) {
  return task_->wait(msecs);
}

}  // namespace mote::widgets
