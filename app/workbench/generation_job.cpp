#include "app/workbench/generation_job.h"

#include <QMetaObject>
#include <QPointer>
#include <QThread>

namespace mote::workbench {

// The worker owns a plain std::thread-like QThread running the blocking client call; results are
// posted back to the job's thread with QMetaObject::invokeMethod (queued), guarded by QPointer in
// case the job was deleted first.
struct GenerationJob::Worker {
  QThread* thread = nullptr;
};

GenerationJob::GenerationJob(sessions::EngineEndpoint endpoint, sessions::GenerationRequest request,
                             QObject* parent)
    : QObject(parent), endpoint_(std::move(endpoint)), request_(std::move(request)) {
  qRegisterMetaType<sessions::TokenEvent>();
  qRegisterMetaType<sessions::GenerationResult>();
}

GenerationJob::~GenerationJob() {
  cancel();
  if (worker_ && worker_->thread) {
    worker_->thread->wait();
    delete worker_->thread;
  }
}

void GenerationJob::cancel() {
  cancel_->store(true);
}

void GenerationJob::start() {
  if (worker_) return;
  worker_ = std::make_unique<Worker>();
  running_ = true;
  QPointer<GenerationJob> self(this);
  auto endpoint = endpoint_;
  auto request = request_;
  auto cancel = cancel_;
  worker_->thread = QThread::create([self, endpoint, request, cancel] {
    auto post = [self](auto fn) {
      if (self) QMetaObject::invokeMethod(self.data(), fn, Qt::QueuedConnection);
    };
    try {
      sessions::EngineClient client(endpoint);
      sessions::GenerationResult result = client.generate(
          request,
          [&](const sessions::TokenEvent& event) {
            post([self, event] {
              if (self) Q_EMIT self->token(event);
            });
          },
          cancel.get());
      post([self, result] {
        if (!self) return;
        self->running_ = false;
        Q_EMIT self->finished(result);
      });
    } catch (const sessions::EngineError& e) {
      const bool cancelled = e.kind() == sessions::EngineError::Kind::kCancelled;
      const QString message = QString::fromStdString(e.what());
      post([self, message, cancelled] {
        if (!self) return;
        self->running_ = false;
        Q_EMIT self->failed(message, cancelled);
      });
    } catch (const std::exception& e) {
      const QString message = QString::fromStdString(e.what());
      post([self, message] {
        if (!self) return;
        self->running_ = false;
        Q_EMIT self->failed(message, false);
      });
    }
  });
  worker_->thread->start();
}

}  // namespace mote::workbench
