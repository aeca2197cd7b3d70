#pragma once
// The analysis half of the workbench as docks: Datasets, Runs, Results, fTRI, Charts and 3D
// (their views are in widgets/). Creates the docks, the run queue (ExperimentRunner) and the
// connections between the docks, and links them to what they work with: the open session, the
// engine connection, the tuning document, the chat and the live heatmap. The main window places
// the docks and shows the status messages.
#include <QObject>
#include <QString>
#include <array>
#include <cstdint>

#include "widgets/volume_panel.h"

class QDockWidget;
class QMenu;
class QWidget;

namespace mote::widgets {
class ChartsPanel;
class DatasetPanel;
class ExperimentRunner;
class FtriPanel;
class FtriView;
class HeatmapView;
class ResonanceVolumeView;
class ResultsPanel;
class RunsPanel;
class SessionController;
class TuningDocument;
}  // namespace mote::widgets

namespace mote::workbench {

class ChatArea;
class ComparisonSession;
class EngineConnection;

class AnalysisDocks : public QObject {
  Q_OBJECT
 public:
  enum Dock { kDatasets, kRuns, kResults, kFtri, kCharts, kVolume, kDockCount };
  using VolumeSource = widgets::VolumePanel::Source;

  // What the docks work with; none of it is owned.
  struct Context {
    widgets::SessionController* session = nullptr;  // the session file open in the workbench
    EngineConnection* connection = nullptr;         // the engine runs go to
    widgets::TuningDocument* tuning = nullptr;      // tuned runs; fTRI one-click tuning
    ChatArea* chat = nullptr;  // sampling and labels of runs; prompts opened in the chat
    ComparisonSession* comparison = nullptr;  // the tuned side's routing for the 3D view
    widgets::HeatmapView* heatmap = nullptr;  // highlights from the fTRI and 3D docks
  };

  // The docks are children of `host` (the main window, which places them).
  AnalysisDocks(const Context& context, QWidget* host);
  ~AnalysisDocks() override;

  // The session entries at the top of the File menu (New, Open, Open Recent, Save As).
  void addSessionMenu(QMenu* file);

  widgets::SessionController* session() const { return context_.session; }
  widgets::ExperimentRunner* runner() const { return runner_; }
  widgets::DatasetPanel* datasets() const { return datasets_; }
  widgets::RunsPanel* runs() const { return runs_; }
  widgets::ResultsPanel* results() const { return results_; }
  widgets::FtriView* ftri() const;
  widgets::ChartsPanel* charts() const { return charts_; }
  // The 3D view, created when the 3D dock is first shown (or asked for here): until then the
  // main window has no GL widget, so its repaints stay on the raster path.
  widgets::ResonanceVolumeView* volume();
  QDockWidget* dock(Dock which) const { return docks_[which]; }
  const std::array<QDockWidget*, kDockCount>& docks() const { return docks_; }
  // What the 3D dock shows: the chat's routing (tuned side), or a run's prompt maps / class
  // means (the run and classifier selected in the fTRI dock).
  void setVolumeSource(VolumeSource source);
  // The last problem reported (status bar text), for tests.
  QString lastError() const { return last_error_; }

 public Q_SLOTS:
  void newSessionDialog();
  void openSessionDialog();
  void saveSessionAsDialog();
  // Sends prompt `prompt_id` of run `run_id` to the chat with that run's settings (max tokens,
  // the prompt's own seed, sampling, system prompt; the run's tuning on the tuned side if it has
  // one, else the current tuning).
  bool openPromptInChat(qint64 run_id, qint64 prompt_id);

 Q_SIGNALS:
  void titleChanged();
  // For the status bar.
  void message(const QString& text, int timeout_ms);

 private:
  QDockWidget* addDock(Dock which, const QString& title, const QString& name, QWidget* widget);
  void connectPanels();
  void onSessionChanged();
  void onQueueFinished();
  void report(const QString& message);
  void fillRecentMenu();

  Context context_;
  QWidget* host_;
  widgets::ExperimentRunner* runner_;
  widgets::DatasetPanel* datasets_ = nullptr;
  widgets::RunsPanel* runs_ = nullptr;
  widgets::ResultsPanel* results_ = nullptr;
  widgets::FtriPanel* ftri_ = nullptr;
  widgets::ChartsPanel* charts_ = nullptr;
  widgets::VolumePanel* volume_ = nullptr;
  std::array<QDockWidget*, kDockCount> docks_{};
  QMenu* recent_menu_ = nullptr;
  QString last_error_;
};

}  // namespace mote::workbench
