#pragma once
// One streamed generation on a worker thread: tokens arrive on the UI thread as queued signals,
// so the chat pane and the heatmap update live while the window stays responsive. cancel() (from
// the UI thread) ends the request within one token.
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

#include "sessions/engine_client.h"
#include "widgets/models/heatmap_source.h"  // declares the sessions metatypes used in signals

namespace mote::workbench {

class GenerationJob : public QObject {
  Q_OBJECT
 public:
  GenerationJob(sessions::EngineEndpoint endpoint, sessions::GenerationRequest request,
                QObject* parent = nullptr);
  ~GenerationJob() override;  // cancels and waits for the worker

  const sessions::GenerationRequest& request() const { return request_; }
  bool running() const { return running_; }
  void start();

 public Q_SLOTS:
  void cancel();

 Q_SIGNALS:
  void token(const mote::sessions::TokenEvent& event);
  void finished(const mote::sessions::GenerationResult& result);
  // `cancelled` is true when the user cancelled (not an error to show as one).
  void failed(const QString& message, bool cancelled);

 private:
  sessions::EngineEndpoint endpoint_;
  sessions::GenerationRequest request_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  struct Worker;
  std::unique_ptr<Worker> worker_;
  bool running_ = false;
};

}  // namespace mote::workbench
