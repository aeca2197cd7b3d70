#pragma once
// The workbench's link to one engine: a local `mote-engine serve` child (started off the UI
// thread, since loading a model takes seconds) or a remote URL + API key. Watches the engine's
// health every few seconds and reports when it dies or becomes unreachable; reconnecting starts
// over without touching anything the user has open.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>

#include "sessions/engine_client.h"
#include "sessions/local_engine.h"

namespace mote::workbench {

struct ConnectionTarget {
  enum class Kind { kLocal, kRemote } kind = Kind::kLocal;
  QString model_dir;  // local
  QString url;        // remote
  QString api_key;    // remote
  QString describe() const;
  // The connection last chosen in the connection dialog (QSettings), if any.
  static std::optional<ConnectionTarget> remembered();
  void remember() const;
};

class EngineConnection : public QObject {
  Q_OBJECT
 public:
  enum class State { kDisconnected, kStarting, kConnected, kFailed, kLost };
  Q_ENUM(State)

  explicit EngineConnection(QObject* parent = nullptr);
  ~EngineConnection() override;

  State state() const { return state_; }
  const ConnectionTarget& target() const { return target_; }
  // Valid while connected (and after a loss, for the status bar).
  const std::optional<mote::ModelInfo>& model() const { return model_; }
  // A client for the current engine; null unless connected. Each worker thread should copy the
  // endpoint into its own EngineClient (clients are cheap).
  std::optional<sessions::EngineEndpoint> endpoint() const;
  QString lastError() const { return last_error_; }

 public Q_SLOTS:
  void connectTo(const mote::workbench::ConnectionTarget& target);
  // At start-up: `target` if given, else the remembered connection, else a local engine on the
  // shipped demo model. False (nothing started) if there is no demo model to fall back on.
  bool connectAtStartup(const std::optional<mote::workbench::ConnectionTarget>& target);
  void reconnect();
  void disconnectEngine();

 Q_SIGNALS:
  void stateChanged(mote::workbench::EngineConnection::State state);
  void connected(const mote::ModelInfo& model);
  // Human-readable: what failed and why (engine log tail for a local engine).
  void errorOccurred(const QString& message);

 private:
  struct Attempt;  // the result of a connection attempt, made off the UI thread
  void setState(State state);
  void finishAttempt();
  void checkHealth();

  State state_ = State::kDisconnected;
  ConnectionTarget target_;
  std::optional<mote::ModelInfo> model_;
  std::optional<sessions::EngineEndpoint> endpoint_;
  std::shared_ptr<sessions::LocalEngine> local_;
  QString last_error_;
  QFutureWatcher<std::shared_ptr<Attempt>> attempt_watcher_;
  QFutureWatcher<bool> health_watcher_;
  QTimer health_timer_;
  int failed_health_checks_ = 0;
  quint64 generation_ = 0;  // attempts superseded by a newer connectTo are dropped
};

}  // namespace mote::workbench

Q_DECLARE_METATYPE(mote::workbench::ConnectionTarget)
Q_DECLARE_METATYPE(mote::ModelInfo)
