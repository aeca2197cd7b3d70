#include "app/workbench/comparison_session.h"

#include <random>

namespace mote::workbench {

ComparisonSession::ComparisonSession(QObject* parent) : QObject(parent) {
  qRegisterMetaType<Side>();
}

ComparisonSession::~ComparisonSession() {
  for (auto& job : jobs_) delete job.data();  // cancels and joins
}

void ComparisonSession::setEndpoint(const std::optional<sessions::EngineEndpoint>& endpoint) {
  endpoint_ = endpoint;
}

bool ComparisonSession::busy() const {
  return !done_[0] || !done_[1] || !pending_.isEmpty();
}

bool ComparisonSession::send(const QString& message, const sessions::SamplingSettings& sampling,
                             const mote::TuningSpec& tuning) {
  if (busy()) {
    Q_EMIT error(tr("Still generating: wait for both answers or press Escape to cancel."));
    return false;
  }
  if (!endpoint_) {
    Q_EMIT error(tr("Not connected to an engine."));
    return false;
  }
  if (message.trimmed().isEmpty()) return false;
  sampling_ = sampling;
  tuning_ = tuning;
  pending_ = QStringList{message};
  aborted_ = false;
  startTurn();
  return true;
}

bool ComparisonSession::rerun(const sessions::SamplingSettings& sampling,
                              const mote::TuningSpec& tuning) {
  if (busy()) {
    Q_EMIT error(tr("Still generating: wait for both answers or press Escape to cancel."));
    return false;
  }
  if (!endpoint_) {
    Q_EMIT error(tr("Not connected to an engine."));
    return false;
  }
  if (user_messages_.isEmpty()) return false;
  const QStringList messages = user_messages_;
  clear();
  sampling_ = sampling;
  tuning_ = tuning;
  pending_ = messages;
  aborted_ = false;
  startTurn();
  return true;
}

void ComparisonSession::startTurn() {
  const QString message = pending_.takeFirst();
  user_messages_.append(message);
  // One seed for both sides so that original and tuned differ only by the tuning. A fixed seed
  // in the settings is used as is; otherwise a fresh one per turn.
  sessions::SamplingSettings sampling = sampling_;
  if (!sampling.seed) {
    static std::mt19937_64 rng{std::random_device{}()};
    sampling.seed =
        std::uniform_int_distribution<std::int64_t>(1, (std::int64_t{1} << 31) - 1)(rng);
  }
  Q_EMIT turnStarted(message);
  for (int side = 0; side < 2; ++side) {
    auto& history = history_[side];
    if (history.empty() && !system_prompt_.isEmpty())
      history.push_back({"system", system_prompt_.toStdString()});
    history.push_back({"user", message.toStdString()});
    sessions::GenerationRequest request;
    request.chat = true;
    request.messages = history;
    request.sampling = sampling;
    if (side == static_cast<int>(Side::kTuned)) request.tuning = tuning_;
    request.capture = mote::CaptureMode::IdsAndWeights;
    last_request_[side] = request;
    auto* job = new GenerationJob(*endpoint_, request, this);
    jobs_[side] = job;
    done_[side] = false;
    const Side which = static_cast<Side>(side);
    connect(job, &GenerationJob::token, this,
            [this, which](const sessions::TokenEvent& event) { Q_EMIT token(which, event); });
    connect(job, &GenerationJob::finished, this,
            [this, side, which, job](const sessions::GenerationResult& result) {
              history_[side].push_back({"assistant", result.text});
              Q_EMIT answerFinished(which, result);
              job->deleteLater();
              sideDone(side);
            });
    connect(job, &GenerationJob::failed, this,
            [this, side, which, job](const QString& message, bool cancelled) {
              // Keep the histories aligned with the user messages: a failed answer is recorded
              // as empty so that the next turn still alternates user/assistant.
              history_[side].push_back({"assistant", ""});
              aborted_ = true;
              Q_EMIT answerFailed(which, message, cancelled);
              job->deleteLater();
              sideDone(side);
            });
  }
  for (auto& job : jobs_) job->start();
}

void ComparisonSession::sideDone(int side) {
  done_[side] = true;
  if (!done_[0] || !done_[1]) return;
  Q_EMIT turnFinished();
  if (aborted_) pending_.clear();
  if (!pending_.isEmpty()) {
    startTurn();
    return;
  }
  Q_EMIT idle();
}

void ComparisonSession::cancel() {
  pending_.clear();
  for (auto& job : jobs_)
    if (job) job->cancel();
}

void ComparisonSession::clear() {
  cancel();
  for (auto& job : jobs_) {
    if (!job) continue;
    job->disconnect(this);
    delete job.data();
  }
  done_ = {true, true};
  user_messages_.clear();
  for (auto& h : history_) h.clear();
  for (auto& r : last_request_) r.reset();
  Q_EMIT cleared();
}

}  // namespace mote::workbench
