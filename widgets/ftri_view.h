#pragma once
// The fTRI view: for a run, a classifier and a class of a session, computes
// (sessions::analyze_ftri on a worker thread with its own SessionStore, through SessionTask) or
// loads (the newest stored "ftri" result of that selection) the functional token resonance imaging
// result and shows
//  - the resonance map (MoE layers x experts) in the workbench heatmap, diverging colour map;
//  - both ends of the ranking (resonance, t, p, q, bootstrap stability);
//  - "apply top-N / bottom-N as suppress / stimulate": tuningRequested(experts, state), which the
//    main window applies to its TuningDocument as one undoable command (setStates);
//  - hovering a ranked expert: expertHighlighted(layer, expert) and a highlight in the map.
// Exports: the map as PNG/SVG (figure_export), the ranking as CSV/JSON and as tuning JSON.
#include <QVector>
#include <QWidget>
#include <cstdint>
#include <memory>
#include <optional>

#include "sessions/session_analysis.h"
#include "sessions/session_store.h"
#include "widgets/models/tuning_document.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace mote::widgets {

class ExpertRankingModel;
class HeatmapView;
class SessionTask;

class FtriView : public QWidget {
  Q_OBJECT

 public:
  explicit FtriView(QWidget* parent = nullptr);
  ~FtriView() override;

  // The UI thread's session (not owned): lists runs, classifiers and classes, loads stored
  // results. Computations open their own connection to store->path().
  void setStore(sessions::SessionStore* store);
  sessions::SessionStore* store() const { return store_; }
  // Optional: the resonance map then shows the document's tuning marks, and a click on the map
  // cycles an expert's tuning like the live heatmap.
  void setTuningDocument(TuningDocument* document);

  // Selects run, classifier and class (each must exist in the session; false otherwise) and
  // loads a stored result of that selection if there is one.
  bool setSelection(std::int64_t run_id, const QString& classifier, const QString& target);
  std::int64_t runId() const;
  QString classifier() const;
  QString target() const;
  sessions::MapKind mapKind() const;
  void setMapKind(sessions::MapKind kind);
  sessions::ExpertStatisticsOptions statisticsOptions() const;
  void setStatisticsOptions(const sessions::ExpertStatisticsOptions& options);

  // Shows an analysis (what compute() and loadStored() end with).
  void setAnalysis(const sessions::FtriAnalysis& analysis, const mote::ModelGeometry& geometry);
  bool hasAnalysis() const { return analysis_.has_value(); }
  const sessions::FtriAnalysis& analysis() const { return *analysis_; }
  const mote::ModelGeometry& geometry() const { return geometry_; }
  bool isComputing() const;

  // N of "apply top-N / bottom-N".
  int applyCount() const;
  void setApplyCount(int n);
  // The first n experts of one end of the ranking.
  QVector<mote::ExpertAddress> rankedExperts(sessions::RankingEnd end, int n) const;

  ExpertRankingModel* topModel() const { return top_model_; }
  ExpertRankingModel* bottomModel() const { return bottom_model_; }
  QTableView* topTable() const { return top_table_; }
  QTableView* bottomTable() const { return bottom_table_; }
  HeatmapView* heatmap() const { return heatmap_; }

  bool exportMapPng(const QString& path, QString* error = nullptr) const;
  bool exportMapSvg(const QString& path, QString* error = nullptr) const;
  // The whole ranking (sessions::expert_table_csv / expert_table_json).
  bool exportTableCsv(const QString& path, QString* error = nullptr) const;
  bool exportTableJson(const QString& path, QString* error = nullptr) const;
  // The first n of one end as a tuning file {"suppress": [...], "stimulate": [...]}.
  bool exportTuningJson(const QString& path, sessions::RankingEnd end, int n, ExpertState state,
                        QString* error = nullptr) const;

 public Q_SLOTS:
  // Computes the selection's fTRI off the UI thread (the result is stored in the session).
  void compute();
  // Loads the newest stored result of the selection; false (and the view cleared) if none.
  bool loadStored();
  // Re-reads runs / classifiers / classes from the store.
  void reloadChoices();
  void applyTopSuppress();
  void applyTopStimulate();
  void applyBottomSuppress();
  void applyBottomStimulate();
  // Emits tuningRequested with the first applyCount() experts of `end`.
  void applyRanking(sessions::RankingEnd end, mote::widgets::ExpertState state);
  // Highlights an expert in the map (e.g. hovered elsewhere); (-1, -1) clears.
  void highlightExpert(int layer, int expert);

 Q_SIGNALS:
  // "Apply top/bottom-N": set these experts to `state` (one undoable command).
  void tuningRequested(const QVector<mote::ExpertAddress>& experts,
                       mote::widgets::ExpertState state);
  // A ranked expert is hovered in a table; (-1, -1) when the mouse left the tables.
  void expertHighlighted(int layer, int expert);
  // A result is shown (computed or loaded).
  void analysisReady(qint64 result_id);
  void computeFailed(const QString& message);
  void computingChanged(bool computing);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Computed {
    sessions::FtriAnalysis analysis;
    mote::ModelGeometry geometry;
  };
  void buildUi();
  void fillClassifiers();
  void fillTargets();
  void clearAnalysis(const QString& status);
  void showMap();
  void setComputing(bool computing);
  void onTableHover(const QModelIndex& index, ExpertRankingModel* model);

  sessions::SessionStore* store_ = nullptr;
  std::optional<sessions::FtriAnalysis> analysis_;
  mote::ModelGeometry geometry_;
  SessionTask* task_ = nullptr;

  QComboBox* run_combo_ = nullptr;
  QComboBox* classifier_combo_ = nullptr;
  QComboBox* target_combo_ = nullptr;
  QComboBox* map_combo_ = nullptr;
  QSpinBox* permutations_spin_ = nullptr;
  QSpinBox* bootstrap_spin_ = nullptr;
  QPushButton* compute_button_ = nullptr;
  QProgressBar* busy_ = nullptr;
  HeatmapView* heatmap_ = nullptr;
  ExpertRankingModel* top_model_ = nullptr;
  ExpertRankingModel* bottom_model_ = nullptr;
  QTableView* top_table_ = nullptr;
  QTableView* bottom_table_ = nullptr;
  QSpinBox* count_spin_ = nullptr;
  QPushButton* top_suppress_ = nullptr;
  QPushButton* top_stimulate_ = nullptr;
  QPushButton* bottom_suppress_ = nullptr;
  QPushButton* bottom_stimulate_ = nullptr;
  QLabel* status_ = nullptr;
  sessions::ExpertStatisticsOptions options_;
};

}  // namespace mote::widgets
