#pragma once
// The Charts dock: a tab per chart (class transitions original -> tuned, the random control's
// flip-rate distribution with the tuned result marked, the dose curve, a t-SNE scatter of a
// run's maps) and an "Evaluate" form: original run, tuned run, classifier and class ->
// sessions::evaluate_tuning and, when the tuned run has random-control runs,
// sessions::evaluate_random_control, computed off the UI thread (SessionTask) and stored in the
// session like `mote eval` / `mote control`. Opening a session shows its newest stored results.
#include <QWidget>
#include <cstdint>
#include <functional>
#include <optional>

#include "sessions/evaluation.h"
#include "sessions/session_store.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;

namespace mote::widgets {

class DoseCurveChartView;
class RandomControlChartView;
class SessionTask;
class TransitionChartView;
class TsneScatterView;

class ChartsPanel : public QWidget {
  Q_OBJECT
 public:
  struct Evaluation {
    std::int64_t tuned_run = 0;
    std::int64_t evaluation_result = 0;
    std::size_t n_prompts = 0;
    sessions::TransitionMatrix transitions;
    sessions::FlipRates flips;
    std::optional<sessions::RandomControlSummary> control;
    std::int64_t control_result = 0;
    std::size_t control_runs = 0;
    QString original_name, tuned_name;
  };

  explicit ChartsPanel(QWidget* parent = nullptr);
  ~ChartsPanel() override;

  // `path` is the session file the workers open.
  void setStore(sessions::SessionStore* store, const QString& path);
  // The classifier the chat uses (preferred when the run has labels of several).
  void setPreferredClassifier(const QString& name) { preferred_classifier_ = name; }

  QTabWidget* tabs() const { return tabs_; }
  widgets::TransitionChartView* transitionChart() const { return transition_; }
  widgets::RandomControlChartView* controlChart() const { return control_; }
  widgets::DoseCurveChartView* doseChart() const { return dose_; }
  widgets::TsneScatterView* tsne() const { return tsne_; }
  std::int64_t tsneRun() const { return tsne_run_; }
  bool isEvaluating() const;
  QString statusText() const;

  // The form.
  bool setSelection(std::int64_t original_run, std::int64_t tuned_run, const QString& classifier,
                    const QString& label);

 public Q_SLOTS:
  // Evaluates the form's selection off the UI thread; evaluated() or failed() when done.
  void evaluate();
  // t-SNE of the form's original run (stored in the session).
  void computeTsne();
  void reload();
  // Draws stored "dose-curve" result `result_id` and shows its tab (false with failed() if it
  // cannot be read).
  bool showDoseCurve(qint64 result_id);
  // Shows the newest stored evaluation, random control, dose curve and t-SNE of the session.
  void loadStored();
  // Throws if the stored "dose-curve" JSON is malformed.
  void drawDoseCurve(const sessions::StoredResult& result);
  // Exports the visible chart: PNG or SVG by the suffix, CSV for the data.
  bool exportCurrent(const QString& path, QString* error = nullptr);
  void exportCurrentDialog();

 Q_SIGNALS:
  void evaluated();
  void failed(const QString& message);
  // A t-SNE point was clicked: that prompt of run `run_id`.
  void promptActivated(qint64 run_id, qint64 prompt_id);

 private:
  void fillRuns();
  void fillClassifiers();
  void fillLabels();
  void showEvaluation(const Evaluation& e);
  QWidget* currentChart() const;

  sessions::SessionStore* store_ = nullptr;
  QString path_;
  QString preferred_classifier_;
  QComboBox* original_;
  QComboBox* tuned_;
  QComboBox* classifier_;
  QComboBox* label_;
  QPushButton* evaluate_;
  QPushButton* tsne_button_;
  QLabel* status_;
  QTabWidget* tabs_;
  widgets::TransitionChartView* transition_;
  widgets::RandomControlChartView* control_;
  widgets::DoseCurveChartView* dose_;
  widgets::TsneScatterView* tsne_;
  std::int64_t tsne_run_ = 0;
  SessionTask* task_;
};

}  // namespace mote::widgets
