#include "widgets/models/session_task.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>
#include <algorithm>
#include <exception>

namespace mote::widgets {

namespace {
QString messageOf(const std::exception& e) {
  const QString message = QString::fromStdString(e.what());
  return message.isEmpty() ? SessionTask::tr("unknown error") : message;
}
}  // namespace

void SessionTaskControl::post(std::function<void()> call) const {
  // The task outlives its workers (its destructor waits for them); Qt drops the queued call if
  // the task is deleted before it runs.
  QMetaObject::invokeMethod(
      state_->task,
      [state = state_, call = std::move(call)] {
        if (state->live) call();
      },
      Qt::QueuedConnection);
}

SessionTask::SessionTask(QObject* parent) : QObject(parent) {}

SessionTask::~SessionTask() {
  for (auto& request : requests_) {
    request.state->live = false;
    request.state->cancel = true;
  }
  for (auto& request : requests_) {
    request.thread->wait();
    delete request.thread;
  }
}

void SessionTask::launch(const QString& session_path, WorkFunction work,
                         std::function<void()> deliver,
                         std::function<void(const QString&)> failed) {
  if (current_) current_->live = false;  // superseded: its result is dropped on arrival
  auto state = std::make_shared<State>();
  state->task = this;
  const std::string path = session_path.toStdString();
  QThread* thread = QThread::create([this, state, path, work = std::move(work)]() mutable {
    QString error;
    bool ok = false;
    try {
      auto store = sessions::SessionStore::open(path);
      work(store, SessionTaskControl(state));
      ok = true;
    } catch (const std::exception& e) {
      error = messageOf(e);
    } catch (...) {
      error = tr("unknown error");
    }
    QMetaObject::invokeMethod(
        this, [this, state, error, ok] { finish(state, error, ok); }, Qt::QueuedConnection);
  });
  thread->setObjectName(QStringLiteral("SessionTask"));
  requests_.push_back({state, thread, std::move(deliver), std::move(failed)});
  const bool was_busy = isBusy();
  current_ = state;
  if (!was_busy) Q_EMIT busyChanged(true);
  thread->start();
}

void SessionTask::finish(const std::shared_ptr<State>& state, const QString& error, bool ok) {
  const auto it = std::find_if(requests_.begin(), requests_.end(),
                               [&](const Request& r) { return r.state == state; });
  if (it == requests_.end()) return;
  Request request = std::move(*it);
  requests_.erase(it);
  request.thread->wait();  // it returns right after queueing this call
  delete request.thread;
  if (!state->live) return;
  state->live = false;
  current_.reset();
  Q_EMIT busyChanged(false);
  if (!ok) {
    request.failed(error);
    return;
  }
  // A result the caller cannot show is an error like any other, not an exception in Qt's event
  // loop.
  QString show_error;
  try {
    request.deliver();
    return;
  } catch (const std::exception& e) {
    show_error = messageOf(e);
  } catch (...) {
    show_error = tr("unknown error");
  }
  request.failed(show_error);
}

void SessionTask::cancel() {
  if (current_) current_->cancel = true;
}

void SessionTask::discard() {
  if (!current_) return;
  current_->live = false;
  current_.reset();
  Q_EMIT busyChanged(false);
}

bool SessionTask::wait(int msecs) {
  QDeadlineTimer deadline(msecs < 0 ? QDeadlineTimer(QDeadlineTimer::Forever)
                                    : QDeadlineTimer(msecs));
  while (isBusy()) {
    if (deadline.hasExpired()) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (isBusy()) QThread::msleep(2);
  }
  return true;
}

}  // namespace mote::widgets
