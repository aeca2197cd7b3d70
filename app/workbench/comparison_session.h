#pragma once
// The side-by-side conversation: every user message is answered twice, by the original model (no
// tuning) and by the tuned one (the tuning current when the message is sent), with the same
// sampling settings and seed, each side continuing its own history. Both generations stream at
// once; each side's tokens and routing rows arrive as signals on the UI thread.
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>
#include <vector>

#include "app/workbench/generation_job.h"
#include "sessions/engine_client.h"

namespace mote::workbench {

enum class Side { kOriginal = 0, kTuned = 1 };

class ComparisonSession : public QObject {
  Q_OBJECT
 public:
  explicit ComparisonSession(QObject* parent = nullptr);
  ~ComparisonSession() override;

  void setEndpoint(const std::optional<sessions::EngineEndpoint>& endpoint);
  void setSystemPrompt(const QString& text) { system_prompt_ = text; }

  bool busy() const;
  // User messages sent so far (the re-run replays them).
  const QStringList& userMessages() const { return user_messages_; }
  // The requests of the last turn (for inspection and tests).
  const std::optional<sessions::GenerationRequest>& lastRequest(Side side) const {
    return last_request_[static_cast<int>(side)];
  }
  const std::vector<ChatMessage>& history(Side side) const {
    return history_[static_cast<int>(side)];
  }

 public Q_SLOTS:
  // Sends a user message to both sides. False (with error()) if busy or not connected.
  bool send(const QString& message, const mote::sessions::SamplingSettings& sampling,
            const mote::TuningSpec& tuning);
  // Clears both histories and replays every user message, one turn after the other, with the
  // given settings and tuning.
  bool rerun(const mote::sessions::SamplingSettings& sampling, const mote::TuningSpec& tuning);
  void cancel();
  void clear();

 Q_SIGNALS:
  // A new turn starts: both panes should show `message` and open an answer.
  void turnStarted(const QString& message);
  void token(mote::workbench::Side side, const mote::sessions::TokenEvent& event);
  void answerFinished(mote::workbench::Side side, const mote::sessions::GenerationResult& result);
  void answerFailed(mote::workbench::Side side, const QString& message, bool cancelled);
  // Both sides of the turn are done (finished, failed or cancelled).
  void turnFinished();
  // All queued turns are done.
  void idle();
  void cleared();
  void error(const QString& message);

 private:
  void startTurn();
  void sideDone(int side);

  std::optional<sessions::EngineEndpoint> endpoint_;
  QString system_prompt_;
  QStringList user_messages_;
  QStringList pending_;  // messages still to send (a re-run)
  sessions::SamplingSettings sampling_;
  mote::TuningSpec tuning_;
  std::array<std::vector<ChatMessage>, 2> history_;
  std::array<std::optional<sessions::GenerationRequest>, 2> last_request_;
  std::array<QPointer<GenerationJob>, 2> jobs_;
  std::array<bool, 2> done_{true, true};
  bool aborted_ = false;
};

}  // namespace mote::workbench

Q_DECLARE_METATYPE(mote::workbench::Side)
