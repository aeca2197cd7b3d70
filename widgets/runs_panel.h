#pragma once
// The Runs dock: the session's runs (SessionRunModel) and a form that starts a run of a dataset
// as original, tuned (the current tuning, with the original's settings), a random control of
// K draws or a dose curve of an fTRI result (top n for several n), executed by the ExperimentRunner
// with a RunPanel (progress, rate, ETA, cancel). Sampling, tuning and classifier come from the main
// window through the provider functions. Changing the kind clears the Name field (each kind has
// its default name); why a run did not start is shown in the dock, in red, until the next start.
#include <QWidget>
#include <cstdint>
#include <functional>

#include "sessions/engine_client.h"
#include "sessions/session_store.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace mote::widgets {
class RunPanel;
class SessionRunModel;
}  // namespace mote::widgets

namespace mote::widgets {

class ExperimentRunner;

class RunsPanel : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { kOriginal = 0, kTuned = 1, kRandomControl = 2, kDoseCurve = 3 };

  struct Providers {
    std::function<sessions::SamplingSettings()> sampling;
    std::function<mote::TuningSpec()> tuning;
    std::function<QString()> classifier;
  };

  RunsPanel(ExperimentRunner* runner, Providers providers, QWidget* parent = nullptr);

  void setStore(sessions::SessionStore* store);
  widgets::SessionRunModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  widgets::RunPanel* runPanel() const { return run_panel_; }

  // The form, for tests and scripting.
  void setKind(Kind kind);
  void setDataset(std::int64_t dataset_id);
  void setOriginalRun(std::int64_t run_id);
  void setTunedRun(std::int64_t run_id);
  void setDraws(int k);
  void setLimit(int prompts);
  void setRunName(const QString& name);
  // Dose curve: the fTRI result and the doses ("1,2,5,10"); suppress/stimulate, top/bottom.
  void setFtriResult(std::int64_t result_id);
  void setDoses(const QString& doses);
  QPushButton* startButton() const { return start_; }

 public Q_SLOTS:
  // Starts what the form says; false (with failed()) if it cannot.
  bool start();
  // Re-reads datasets and runs (after an import or a new run).
  void reload();

 Q_SIGNALS:
  void failed(const QString& message);
  void runSelected(qint64 run_id);

 private:
  void updateForm();
  void fillCombos();

  ExperimentRunner* runner_;
  Providers providers_;
  sessions::SessionStore* store_ = nullptr;
  widgets::SessionRunModel* model_;
  QTableView* table_;
  widgets::RunPanel* run_panel_;
  QComboBox* kind_;
  QComboBox* dataset_;
  QComboBox* original_;
  QComboBox* tuned_;
  QSpinBox* draws_;
  QSpinBox* draw_seed_;
  QSpinBox* limit_;
  QComboBox* ftri_;
  QLineEdit* doses_;
  QComboBox* direction_;
  QComboBox* end_;
  QLineEdit* name_;
  QPushButton* start_;
  QLabel* step_;
  QLabel* settings_;
  int tuned_count_ = 0;
};

}  // namespace mote::widgets
