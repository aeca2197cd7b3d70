#pragma once
// The analysis half of the workbench, as docks of the main window: Datasets, Runs,
// Results, fTRI, Charts and 3D. Owns the open session (SessionController) and the run queue
// (ExperimentRunner) and wires them to the main window's engine connection, tuning document,
// heatmap, sampling bar, label box and chat. The main window only creates this and adds its
// menus; everything between the docks is connected here.
#include <QObject>
#include <QString>
#include <array>
#include <cstdint>
#include <vector>

#include "sessions/engine_client.h"
#include "widgets/volume_data.h"

class QComboBox;
class QVBoxLayout;
class QWidget;
class QDockWidget;
class QMenu;
class QMenuBar;

namespace mote::widgets {
class FtriView;
class ResonanceVolumeView;
}  // namespace mote::widgets

namespace mote::workbench {

class ChartsPanel;
class DatasetPanel;
class ExperimentRunner;
class MainWindow;
class ResultsPanel;
class RunsPanel;
class SessionController;

class AnalysisDocks : public QObject {
  Q_OBJECT
 public:
  enum Dock { kDatasets, kRuns, kResults, kFtri, kCharts, kVolume, kDockCount };

  explicit AnalysisDocks(MainWindow* window);
  ~AnalysisDocks() override;

  // File menu entries (inserted at the top of `file`) and a View menu of the docks.
  void addMenus(QMenu* file, QMenuBar* bar);

  SessionController* session() const { return session_; }
  ExperimentRunner* runner() const { return runner_; }
  DatasetPanel* datasets() const { return datasets_; }
  RunsPanel* runs() const { return runs_; }
  ResultsPanel* results() const { return results_; }
  widgets::FtriView* ftri() const { return ftri_; }
  ChartsPanel* charts() const { return charts_; }
  // The 3D view, created when the 3D dock is first shown (or asked for here): until then the
  // main window has no GL widget, so its repaints stay on the raster path (with a QOpenGLWidget
  // every repaint of the window is composed through OpenGL, slow on software GL).
  widgets::ResonanceVolumeView* volume();
  QDockWidget* dock(Dock which) const { return docks_[which]; }
  // What the 3D dock shows: the chat's routing (tuned side), or a run's prompt maps / class
  // means (the run and classifier selected in the fTRI dock).
  enum class VolumeSource { kChat = 0, kRunPrompts = 1, kRunClassMeans = 2 };
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

 private:
  QDockWidget* addDock(Dock which, const QString& title, const QString& name, QWidget* widget);
  QWidget* wrapFtri();
  QWidget* wrapVolume();
  void onSessionChanged();
  void onQueueFinished();
  void showVolumeOf(const sessions::GenerationResult& result);
  void loadVolumeSource();
  void report(const QString& message);
  void fillRecentMenu();

  MainWindow* window_;
  SessionController* session_;
  ExperimentRunner* runner_;
  DatasetPanel* datasets_ = nullptr;
  RunsPanel* runs_ = nullptr;
  ResultsPanel* results_ = nullptr;
  widgets::FtriView* ftri_ = nullptr;
  ChartsPanel* charts_ = nullptr;
  widgets::ResonanceVolumeView* volume_ = nullptr;
  std::array<QDockWidget*, kDockCount> docks_{};
  QMenu* recent_menu_ = nullptr;
  QComboBox* volume_source_ = nullptr;
  QVBoxLayout* volume_layout_ = nullptr;
  QWidget* volume_placeholder_ = nullptr;
  widgets::ResonanceVolume chat_volume_;
  int volume_generation_ = 0;  // a newer request supersedes a loading run volume
  QString last_error_;
};

}  // namespace mote::workbench
