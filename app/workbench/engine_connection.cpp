#include "app/workbench/engine_connection.h"

#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

#include "sessions/resources.h"

namespace mote::workbench {

namespace {
// Health is polled this often; this many failures in a row mean the engine is lost (one missed
// answer can be a busy engine thread stalling the HTTP threads for a moment).
constexpr int kHealthIntervalMs = 3000;
constexpr int kHealthFailuresForLoss = 2;
}  // namespace

QString ConnectionTarget::describe() const {
  return kind == Kind::kLocal ? QStringLiteral("local engine on %1").arg(model_dir)
                              : QStringLiteral("remote engine at %1").arg(url);
}

std::optional<ConnectionTarget> ConnectionTarget::remembered() {
  QSettings settings;
  if (!settings.contains("connection/kind")) return std::nullopt;
  ConnectionTarget target;
  target.kind =
      settings.value("connection/kind").toString() == "remote" ? Kind::kRemote : Kind::kLocal;
  target.model_dir = settings.value("connection/modelDir").toString();
  target.url = settings.value("connection/url").toString();
  target.api_key = settings.value("connection/apiKey").toString();
  return target;
}

void ConnectionTarget::remember() const {
  QSettings settings;
  settings.setValue("connection/kind", kind == Kind::kRemote ? "remote" : "local");
  settings.setValue("connection/modelDir", model_dir);
  settings.setValue("connection/url", url);
  settings.setValue("connection/apiKey", api_key);
}

struct EngineConnection::Attempt {
  quint64 generation = 0;
  std::shared_ptr<sessions::LocalEngine> local;
  std::optional<sessions::EngineEndpoint> endpoint;
  std::optional<mote::ModelInfo> model;
  QString error;
};

EngineConnection::EngineConnection(QObject* parent) : QObject(parent) {
  qRegisterMetaType<ConnectionTarget>();
  qRegisterMetaType<mote::ModelInfo>();
  connect(&attempt_watcher_, &QFutureWatcher<std::shared_ptr<Attempt>>::finished, this,
          &EngineConnection::finishAttempt);
  health_timer_.setInterval(kHealthIntervalMs);
  connect(&health_timer_, &QTimer::timeout, this, &EngineConnection::checkHealth);
  connect(&health_watcher_, &QFutureWatcher<bool>::finished, this, [this] {
    if (state_ != State::kConnected) return;
    bool ok = health_watcher_.result();
    if (ok) {
      failed_health_checks_ = 0;
      return;
    }
    if (++failed_health_checks_ < kHealthFailuresForLoss) return;
    QString why = QStringLiteral("the %1 stopped answering").arg(target_.describe());
    if (local_ && !local_->running()) {
      why = QStringLiteral("the local engine (pid %1) exited").arg(local_->pid());
      const std::string tail = local_->log_tail();
      if (!tail.empty()) why += QStringLiteral(":\n") + QString::fromStdString(tail);
    }
    last_error_ = why;
    health_timer_.stop();
    setState(State::kLost);
    Q_EMIT errorOccurred(why);
  });
}

EngineConnection::~EngineConnection() {
  health_timer_.stop();
  attempt_watcher_.waitForFinished();
  health_watcher_.waitForFinished();
}

std::optional<sessions::EngineEndpoint> EngineConnection::endpoint() const {
  if (state_ != State::kConnected) return std::nullopt;
  return endpoint_;
}

void EngineConnection::setState(State state) {
  if (state_ == state) return;
  state_ = state;
  Q_EMIT stateChanged(state);
}

void EngineConnection::connectTo(const ConnectionTarget& target) {
  health_timer_.stop();
  target_ = target;
  model_.reset();
  endpoint_.reset();
  local_.reset();  // stops a previous local engine (its destructor terminates the child)
  last_error_.clear();
  failed_health_checks_ = 0;
  setState(State::kStarting);
  const quint64 generation = ++generation_;
  attempt_watcher_.setFuture(QtConcurrent::run([target, generation] {
    auto attempt = std::make_shared<Attempt>();
    attempt->generation = generation;
    try {
      if (target.kind == ConnectionTarget::Kind::kLocal) {
        sessions::LocalEngineOptions options;
        options.model_dir = target.model_dir.toStdString();
        attempt->local =
            std::shared_ptr<sessions::LocalEngine>(sessions::LocalEngine::start(options).release());
        attempt->endpoint = attempt->local->endpoint();
      } else {
        attempt->endpoint =
            sessions::EngineEndpoint{target.url.toStdString(), target.api_key.toStdString()};
      }
      attempt->model = sessions::EngineClient(*attempt->endpoint).model();
    } catch (const std::exception& e) {
      attempt->error = QString::fromStdString(e.what());
    }
    return attempt;
  }));
}

bool EngineConnection::connectAtStartup(const std::optional<ConnectionTarget>& target) {
  if (target) {
    connectTo(*target);
    return true;
  }
  if (auto remembered = ConnectionTarget::remembered()) {
    connectTo(*remembered);
    return true;
  }
  const auto dir = sessions::default_model_dir();
  if (!dir) return false;
  ConnectionTarget demo;
  demo.model_dir = QString::fromStdString(dir->string());
  connectTo(demo);
  return true;
}

void EngineConnection::finishAttempt() {
  std::shared_ptr<Attempt> attempt = attempt_watcher_.result();
  if (!attempt || attempt->generation != generation_) return;  // superseded
  if (!attempt->error.isEmpty()) {
    last_error_ =
        QStringLiteral("Could not connect to the %1: %2").arg(target_.describe(), attempt->error);
    setState(State::kFailed);
    Q_EMIT errorOccurred(last_error_);
    return;
  }
  local_ = attempt->local;
  endpoint_ = attempt->endpoint;
  model_ = attempt->model;
  setState(State::kConnected);
  health_timer_.start();
  Q_EMIT connected(*model_);
}

void EngineConnection::reconnect() {
  connectTo(target_);
}

void EngineConnection::disconnectEngine() {
  health_timer_.stop();
  ++generation_;
  local_.reset();
  endpoint_.reset();
  setState(State::kDisconnected);
}

void EngineConnection::checkHealth() {
  if (state_ != State::kConnected || health_watcher_.isRunning() || !endpoint_) return;
  const sessions::EngineEndpoint endpoint = *endpoint_;
  auto local = local_;
  health_watcher_.setFuture(QtConcurrent::run([endpoint, local] {
    if (local && !local->running()) return false;
    sessions::EngineClientOptions options;
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.retries = 0;
    return sessions::EngineClient(endpoint, options).healthy();
  }));
}

}  // namespace mote::workbench
