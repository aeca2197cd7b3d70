#pragma once
// The chat half of the workbench: the sampling bar and the label box, the Original and Tuned
// panes, the prompt and its buttons. Drives the ComparisonSession with the tuning document's
// current tuning, shows both sides' streams in the panes, labels each answer with the chosen
// rule set, marks the first divergent token, and keeps each side's routing in a
// RoutingAccumulator for the live heatmap.
#include <QString>
#include <QWidget>
#include <array>
#include <memory>

#include "app/workbench/comparison_session.h"
#include "sessions/engine_client.h"

class QComboBox;
class QPlainTextEdit;
class QPushButton;

namespace mote::sessions {
class AnswerClassifier;
}
namespace mote::widgets {
class ChatPane;
class RoutingAccumulator;
class TuningDocument;
}  // namespace mote::widgets

namespace mote::workbench {

class SamplingBar;

class ChatArea : public QWidget {
  Q_OBJECT

 public:
  ChatArea(ComparisonSession* comparison, widgets::TuningDocument* tuning,
           QWidget* parent = nullptr);
  ~ChatArea() override;

  widgets::ChatPane* pane(Side side) const { return panes_[static_cast<int>(side)]; }
  widgets::RoutingAccumulator* accumulator(Side side) const {
    return accumulators_[static_cast<int>(side)];
  }
  QPlainTextEdit* promptEdit() const { return prompt_; }
  SamplingBar* samplingBar() const { return sampling_; }
  // The label box's rule set (runs started from the Runs dock label with it too).
  QString classifierName() const;
  void setClassifierName(const QString& name);
  // The model now served: its chat template says whether answers start inside a think block.
  void setModel(const mote::ModelInfo& model);

 public Q_SLOTS:
  void sendPrompt();
  // Re-runs the conversation with the current tuning (sends the prompt if there is none yet).
  void rerunConversation();
  void clearConversation();
  void cancelGeneration();
  // A new conversation of one message with these settings (shown in the sampling bar) and this
  // tuning on the tuned side. False if the message could not be sent (error() says why).
  bool startConversation(const QString& message, const QString& system_prompt,
                         const mote::sessions::SamplingSettings& sampling,
                         const mote::TuningSpec& tuning);
  // Both panes side by side as Markdown, through a file dialog.
  void exportConversationDialog();

 Q_SIGNALS:
  // The token under the mouse in a pane (-1 when it left the tokens).
  void tokenHovered(int side, int token);
  // An answer failed: the status bar's problem text (the first line; the whole as `details`).
  void problem(const QString& text, const QString& details);
  // A new turn started: the previous problem is over.
  void problemCleared();
  // A passing note for the status bar.
  void message(const QString& text, int timeout_ms);

 private:
  void onTurnStarted(const QString& message);
  void onAnswerFinished(Side side, const sessions::GenerationResult& result);
  void onAnswerFailed(Side side, const QString& message, bool cancelled);
  void onTurnFinished();
  void loadClassifier(const QString& name);
  // Said after construction, once the window has connected message().
  void deferMessage(const QString& text, int timeout_ms);

  ComparisonSession* comparison_;
  widgets::TuningDocument* tuning_;
  std::array<widgets::ChatPane*, 2> panes_{};
  std::array<widgets::RoutingAccumulator*, 2> accumulators_{};
  SamplingBar* sampling_;
  QComboBox* classifier_box_;
  QPlainTextEdit* prompt_;
  QPushButton* send_button_;
  std::unique_ptr<sessions::AnswerClassifier> classifier_;
  bool starts_in_think_ = false;
};

}  // namespace mote::workbench
