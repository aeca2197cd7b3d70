#pragma once
// Executes a run of a session off the UI thread (sessions::execute_run against an engine) and
// reports progress (done, total, rate, ETA) and the end as signals on the UI thread; cancel()
// stops it after the prompt in flight (that prompt is not recorded; a later start resumes).
// The worker is a SessionTask: it opens its own SessionStore on the session file (SessionStore is
// not thread-safe) while the UI keeps reading the same file through its own store (SQLite WAL).
#include <QObject>
#include <QString>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "sessions/answer_classifier.h"
#include "sessions/engine_client.h"
#include "sessions/run_executor.h"
#include "sessions/session_store.h"

namespace mote::widgets {

class SessionTask;

struct RunEngineOptions {
  bool completion_maps = true;
  bool weighted_maps = true;
  // Labels answers as they finish (optional; shared so the caller may drop its copy).
  std::shared_ptr<const sessions::AnswerClassifier> classifier;
  std::string classifier_name;  // empty: the classifier's own name
};

class RunController : public QObject {
  Q_OBJECT

 public:
  // What runs on the worker thread: it gets the worker's own store, reports progress and polls
  // `cancel`; returns the run's final status (throws on failure). start() uses execute_run.
  using Job = std::function<sessions::RunStatus(
      sessions::SessionStore& store, std::int64_t run_id,
      const std::function<void(const sessions::RunProgress&)>& progress,
      const std::atomic<bool>& cancel)>;

  explicit RunController(QObject* parent = nullptr);
  // Cancels a running run and waits for the worker.
  ~RunController() override;

  // Executes the pending prompts of `run_id` with `client` (a copy is used on the worker
  // thread; for a LocalEngine pass engine.client(), which must outlive the run). False if a run
  // is already executing.
  bool start(const QString& session_path, std::int64_t run_id, const sessions::EngineClient& client,
             RunEngineOptions options = {});
  // Runs any job the same way (progress, cancel, finished), e.g. a batch of analyses.
  bool startJob(const QString& session_path, std::int64_t run_id, Job job);

  bool isRunning() const;
  std::int64_t runId() const { return run_id_; }
  const sessions::RunProgress& lastProgress() const { return last_; }
  // Minimum time between two progress signals (the final state is always reported).
  void setProgressInterval(int msecs) { interval_ms_ = msecs; }
  // Blocks until the worker has finished and its signals were delivered; false on timeout.
  bool wait(int msecs = -1);

 public Q_SLOTS:
  void cancel();

 Q_SIGNALS:
  // The worker opened the session: `done` prompts already answered (resume) of `total`.
  void started(qint64 run_id, qulonglong done, qulonglong total);
  void progress(qint64 run_id, qulonglong done, qulonglong total, double prompts_per_second,
                double eta_seconds, const QString& last_label);
  // kFinished, kCancelled or kFailed (`error` says why).
  void finished(qint64 run_id, mote::sessions::RunStatus status, const QString& error);
  void runningChanged(bool running);

 private:
  void onProgress(const sessions::RunProgress& p);
  void onFinished(sessions::RunStatus status, const QString& error);

  SessionTask* task_;
  bool cancel_requested_ = false;
  std::int64_t run_id_ = 0;
  sessions::RunProgress last_;
  int interval_ms_ = 100;
};

}  // namespace mote::widgets

Q_DECLARE_METATYPE(mote::sessions::RunStatus)
