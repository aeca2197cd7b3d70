#include "widgets/run_controller.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QThread>
#include <exception>

namespace mote::widgets {

// State shared by the controller and its worker; outlives either.
struct RunController::Shared {
  std::atomic<bool> cancel{false};
  std::atomic<bool> finished{false};
};

RunController::RunController(QObject* parent) : QObject(parent) {
  qRegisterMetaType<sessions::RunStatus>();
}

RunController::~RunController() {
  if (thread_) {
    shared_->cancel = true;
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
  }
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
  if (running_) return false;
  if (thread_) {  // the previous worker has ended (finished was delivered)
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
  }
  shared_ = std::make_shared<Shared>();
  run_id_ = run_id;
  last_ = {};
  running_ = true;
  const std::string path = session_path.toStdString();
  const int interval = interval_ms_;
  auto shared = shared_;
  thread_ = QThread::create([this, shared, path, run_id, job = std::move(job), interval] {
    // Everything that reaches the UI goes through queued calls on `this` (dropped by Qt if the
    // controller is gone; the destructor waits for this thread anyway).
    QElapsedTimer since_last;
    since_last.start();
    sessions::RunProgress pending;
    bool have_pending = false;
    const auto post_progress = [this](const sessions::RunProgress& p) {
      QMetaObject::invokeMethod(
          this, [this, p] { onProgress(p); }, Qt::QueuedConnection);
    };
    sessions::RunStatus status = sessions::RunStatus::kFailed;
    QString error;
    try {
      auto store = sessions::SessionStore::open(path);
      const auto info = store.run(run_id);
      std::size_t total = 0;
      for (const auto& d : store.list_datasets())
        if (d.id == info.config.dataset_id) total = d.n_prompts;
      const std::size_t done = store.answer_count(run_id);
      QMetaObject::invokeMethod(
          this,
          [this, run_id, done, total] {
            last_.done = done;
            last_.total = total;
            Q_EMIT started(run_id, done, total);
          },
          Qt::QueuedConnection);
      status = job(
          store, run_id,
          [&](const sessions::RunProgress& p) {
            pending = p;
            have_pending = true;
            if (since_last.elapsed() >= interval || p.done >= p.total) {
              post_progress(p);
              have_pending = false;
              since_last.restart();
            }
          },
          shared->cancel);
    } catch (const std::exception& e) {
      status = shared->cancel ? sessions::RunStatus::kCancelled : sessions::RunStatus::kFailed;
      error = QString::fromStdString(e.what());
    }
    if (have_pending) post_progress(pending);
    shared->finished = true;
    QMetaObject::invokeMethod(
        this, [this, status, error] { onFinished(status, error); }, Qt::QueuedConnection);
  });
  Q_EMIT runningChanged(true);
  thread_->start();
  return true;
}

void RunController::cancel() {
  if (running_ && shared_) shared_->cancel = true;
}

void RunController::onProgress(const sessions::RunProgress& p) {
  last_ = p;
  Q_EMIT progress(run_id_, p.done, p.total, p.prompts_per_second, p.eta_seconds,
                  QString::fromStdString(p.last_label));
}

void RunController::onFinished(sessions::RunStatus status, const QString& error) {
  running_ = false;
  if (thread_) thread_->wait();  // the worker returns right after posting this
  Q_EMIT runningChanged(false);
  Q_EMIT finished(run_id_, status, error);
}

bool RunController::wait(int msecs) {
  QDeadlineTimer deadline(msecs < 0 ? QDeadlineTimer::Forever : QDeadlineTimer(msecs));
  while (running_) {
    if (deadline.hasExpired()) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (running_ && shared_ && shared_->finished) continue;  // finished is queued: deliver it
    if (running_) QThread::msleep(5);
  }
  return true;
}

}  // namespace mote::widgets
