#pragma once
// The workbench window: wiring only. The engine connection, the tuning document, the session,
// the side-by-side chat, the live heatmap, the status bar fields and the analysis docks live in
// their own classes; this window creates them, connects their signals, places them, owns the
// menus and the remembered layout (QSettings).
#include <QMainWindow>
#include <optional>

#include "app/workbench/comparison_session.h"
#include "app/workbench/engine_connection.h"
#include "widgets/models/heatmap_data.h"

class QDockWidget;
class QMenu;
class QPlainTextEdit;
class QSplitter;

namespace mote::widgets {
class ChatPane;
class HeatmapView;
class LiveHeatmapPanel;
class RoutingAccumulator;
class SessionController;
class TuningDocument;
class TuningPanel;
}  // namespace mote::widgets

namespace mote::workbench {

class AnalysisDocks;
class ChatArea;
class SamplingBar;
class StatusIndicators;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Connects at start-up: `target` if given, else the remembered connection, else a local engine
  // on the shipped demo model (else it asks).
  void connectAtStartup(const std::optional<ConnectionTarget>& target);

  // For the end-to-end tests and other wiring.
  EngineConnection* connection() const { return connection_; }
  ComparisonSession* comparison() const { return comparison_; }
  widgets::TuningDocument* tuning() const { return tuning_; }
  widgets::SessionController* session() const { return session_; }
  ChatArea* chat() const { return chat_; }
  widgets::LiveHeatmapPanel* heatmapPanel() const { return heatmap_panel_; }
  widgets::HeatmapView* heatmap() const;
  widgets::ChatPane* pane(Side side) const;
  widgets::RoutingAccumulator* accumulator(Side side) const;
  QPlainTextEdit* promptEdit() const;
  SamplingBar* samplingBar() const;
  // The label box's classifier (runs started from the Runs dock label with it too).
  QString classifierName() const;
  // The analysis docks: sessions, datasets, runs, results, fTRI, charts, 3D.
  AnalysisDocks* analysis() const { return analysis_; }
  void setHeatmapMode(widgets::HeatmapMode mode, Side side);

 public Q_SLOTS:
  void rerunConversation();
  void openConnectionDialog();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void placeDocks();
  void buildMenus();
  void wire();
  void restoreLayout();
  void updateTitle();

  EngineConnection* connection_;
  ComparisonSession* comparison_;
  widgets::TuningDocument* tuning_;
  widgets::SessionController* session_;
  ChatArea* chat_;
  widgets::LiveHeatmapPanel* heatmap_panel_;
  QSplitter* splitter_;
  widgets::TuningPanel* tuning_panel_;
  QDockWidget* tuning_dock_;
  AnalysisDocks* analysis_;
  StatusIndicators* status_;
  bool default_layout_pending_ = false;  // no saved layout: size the docks once shown
};

}  // namespace mote::workbench
