#pragma once
// SessionTask: runs a sessions function on a worker thread with its own SessionStore and delivers
// its result, or the message of what it threw, on the thread the task object lives in (the GUI
// thread). SessionStore is not thread-safe, so every worker opens its own connection to the
// session file; SQLite's WAL journal lets the GUI keep reading the same file meanwhile.
//
// One request is current at a time. start() while one is running supersedes it: the older
// request's result, error and posted calls are dropped (its worker finishes on its own, and the
// destructor waits for every worker), so a stale answer never overwrites a newer one. Callers
// that must not run two at once check isBusy() first.
//
// Each request gets a thread of its own rather than one of the global pool: a run occupies its
// worker for minutes, and the pool has only as many threads as the machine has cores.
#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "sessions/session_store.h"

class QThread;

namespace mote::widgets {

class SessionTask;

// What a work function may do besides computing; it runs on the worker thread.
class SessionTaskControl {
 public:
  // SessionTask::cancel() was called for this request: long work polls this and stops early.
  bool cancelRequested() const { return state_->cancel.load(); }
  // The same flag, for sessions functions that poll an atomic (sessions::execute_run).
  const std::atomic<bool>& cancelFlag() const { return state_->cancel; }
  // Queues `call` to run on the task's thread before the result arrives (e.g. progress); dropped
  // when the request has been superseded or the task is gone.
  void post(std::function<void()> call) const;

 private:
  friend class SessionTask;
  struct State {
    std::atomic<bool> cancel{false};
    SessionTask* task = nullptr;
    bool live = true;  // read and written on the task's thread only
  };
  explicit SessionTaskControl(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

namespace session_task_detail {
template <typename Work>
decltype(auto) invoke(Work& work, sessions::SessionStore& store,
                      const SessionTaskControl& control) {
  if constexpr (std::is_invocable_v<Work&, sessions::SessionStore&, const SessionTaskControl&>)
    return work(store, control);
  else
    return work(store);
}
}  // namespace session_task_detail

class SessionTask : public QObject {
  Q_OBJECT

 public:
  explicit SessionTask(QObject* parent = nullptr);
  // Asks every worker still running to cancel and waits for it; nothing is delivered any more.
  ~SessionTask() override;

  // Opens `session_path` on a worker thread and calls `work(store)` or
  // `work(store, const SessionTaskControl&)` there. Then, on this object's thread, `done(result)`
  // (`done()` when the work returns void) or `failed(message)` if opening the store, the work or
  // `done` threw. Supersedes the current request, if any.
  template <typename Work, typename Done, typename Failed>
  void start(const QString& session_path, Work work, Done done, Failed failed);

  // A request is running whose result has not been delivered yet.
  bool isBusy() const { return current_ != nullptr; }
  // Sets the current request's cancel flag; its result or error still arrives.
  void cancel();
  // Drops the current request: nothing of it is delivered (its worker finishes on its own).
  void discard();
  // Processes events until the current request has been delivered; false on timeout.
  bool wait(int msecs = -1);

 Q_SIGNALS:
  // Emitted before the result or error is delivered, so a callback may start the next request.
  void busyChanged(bool busy);

 private:
  using State = SessionTaskControl::State;
  using WorkFunction = std::function<void(sessions::SessionStore&, const SessionTaskControl&)>;
  struct Request {
    std::shared_ptr<State> state;
    QThread* thread = nullptr;
    std::function<void()> deliver;
    std::function<void(const QString&)> failed;
  };
  void launch(const QString& session_path, WorkFunction work, std::function<void()> deliver,
              std::function<void(const QString&)> failed);
  void finish(const std::shared_ptr<State>& state, const QString& error, bool ok);

  std::vector<Request> requests_;  // every worker not yet reaped, the current one last
  std::shared_ptr<State> current_;
};

template <typename Work, typename Done, typename Failed>
void SessionTask::start(const QString& session_path, Work work, Done done, Failed failed) {
  using Result = std::decay_t<decltype(session_task_detail::invoke(
      work, std::declval<sessions::SessionStore&>(), std::declval<const SessionTaskControl&>()))>;
  if constexpr (std::is_void_v<Result>) {
    launch(
        session_path,
        [work](sessions::SessionStore& store, const SessionTaskControl& control) mutable {
          session_task_detail::invoke(work, store, control);
        },
        [done]() mutable { done(); }, std::function<void(const QString&)>(std::move(failed)));
  } else {
    // Written by the worker, read here after the queued delivery (which orders the two).
    auto slot = std::make_shared<std::optional<Result>>();
    launch(
        session_path,
        [work, slot](sessions::SessionStore& store, const SessionTaskControl& control) mutable {
          slot->emplace(session_task_detail::invoke(work, store, control));
        },
        [done, slot]() mutable { done(std::move(**slot)); },
        std::function<void(const QString&)>(std::move(failed)));
  }
}

}  // namespace mote::widgets
