#pragma once
// The workbench window: wiring only. The engine connection, the tuning document, the
// side-by-side conversation and the views live in their own classes; this window connects their
// signals, owns the menus, the status bar and the remembered layout (QSettings).
#include <QMainWindow>
#include <QPointer>

#include <optional>

#include "app/workbench/comparison_session.h"
#include "app/workbench/engine_connection.h"
#include "widgets/heatmap_data.h"

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QDockWidget;
class QMenu;

namespace mote::sessions {
class AnswerClassifier;
}
namespace mote::widgets {
class ChatPane;
class HeatmapView;
class RoutingAccumulator;
class TuningDocument;
class TuningPanel;
}  // namespace mote::widgets

namespace mote::workbench {

class AnalysisDocks;
class SamplingBar;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Connects at start-up: `target` if given, else the remembered connection, else a local engine
  // on the shipped demo model.
  void connectAtStartup(const std::optional<ConnectionTarget>& target);

  // For the end-to-end tests and other wiring.
  EngineConnection* connection() const { return connection_; }
  ComparisonSession* comparison() const { return comparison_; }
  widgets::TuningDocument* tuning() const { return tuning_; }
  widgets::HeatmapView* heatmap() const { return heatmap_; }
  widgets::ChatPane* pane(Side side) const { return panes_[static_cast<int>(side)]; }
  widgets::RoutingAccumulator* accumulator(Side side) const {
    return accumulators_[static_cast<int>(side)];
  }
  QPlainTextEdit* promptEdit() const { return prompt_; }
  SamplingBar* samplingBar() const { return sampling_; }
  // The label box's classifier (runs started from the Runs dock label with it too).
  QString classifierName() const;
  // The issue-#8 docks: sessions, datasets, runs, results, fTRI, charts, 3D.
  AnalysisDocks* analysis() const { return analysis_; }
  void setHeatmapMode(widgets::HeatmapMode mode, Side side);

 public Q_SLOTS:
  void sendPrompt();
  void rerunConversation();
  void clearConversation();
  void cancelGeneration();
  void openConnectionDialog();
  void exportHeatmap();
  void exportConversation();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void buildChatArea();
  void buildHeatmapArea();
  void buildMenus();
  void buildStatusBar();
  void restoreLayout();
  bool default_layout_pending_ = false;  // no saved layout: size the docks once shown
  void onConnectionState(EngineConnection::State state);
  void onConnected(const mote::ModelInfo& model);
  void onAnswerFinished(Side side, const sessions::GenerationResult& result);
  void onTurnFinished();
  void refreshHeatmap();
  void updateTuningStatus();
  void updateTitle();
  void loadClassifier(const QString& name);
  QString classify(const std::string& text) const;
  bool templateStartsInThink() const;

  EngineConnection* connection_;
  ComparisonSession* comparison_;
  widgets::TuningDocument* tuning_;
  std::array<widgets::ChatPane*, 2> panes_{};
  std::array<widgets::RoutingAccumulator*, 2> accumulators_{};
  widgets::HeatmapView* heatmap_ = nullptr;
  widgets::TuningPanel* tuning_panel_ = nullptr;
  QComboBox* heatmap_mode_ = nullptr;
  QComboBox* heatmap_side_ = nullptr;
  QComboBox* classifier_box_ = nullptr;
  QPlainTextEdit* prompt_ = nullptr;
  QPushButton* send_button_ = nullptr;
  SamplingBar* sampling_ = nullptr;
  QLabel* model_label_ = nullptr;
  QLabel* engine_label_ = nullptr;
  QLabel* tuning_label_ = nullptr;
  QLabel* problem_label_ = nullptr;
  QPushButton* reconnect_button_ = nullptr;
  QSplitter* splitter_ = nullptr;
  QMenu* file_menu_ = nullptr;
  AnalysisDocks* analysis_ = nullptr;
  QDockWidget* tuning_dock_ = nullptr;
  std::unique_ptr<sessions::AnswerClassifier> classifier_;
  int hovered_token_ = -1;
  Side hovered_side_ = Side::kTuned;
};

}  // namespace mote::workbench
