#pragma once
// The runs of a session as a table: name, kind, dataset, status, answered / total, model,
// tuning, seed, created. Live progress of a running run comes from RunController
// (setRunProgress / refreshRun), not from polling.
#include <cstdint>
#include <map>
#include <vector>

#include "sessions/session_store.h"
#include "widgets/models/session_table_model.h"

namespace mote::widgets {

class SessionRunModel : public SessionTableModel {
  Q_OBJECT

 public:
  enum Column {
    kName,
    kKind,
    kDataset,
    kStatus,
    kAnswered,
    kModel,
    kTuning,
    kSeed,
    kCreated,
    kColumnCount
  };
  enum Role {
    kRunIdRole = Qt::UserRole + 1,
    kStatusRole,    // sessions::RunStatus as int
    kAnsweredRole,  // answered prompts (qulonglong)
    kTotalRole,     // prompts of the run's dataset (qulonglong)
    kProgressRole,  // 0..100 (int)
    kSortRole,
  };

  explicit SessionRunModel(QObject* parent = nullptr);

  std::int64_t runId(int row) const;
  int rowOfRun(std::int64_t run_id) const;  // -1 if absent
  const sessions::RunInfo& run(int row) const {
    return rows_.at(static_cast<std::size_t>(row)).info;
  }
  std::size_t answered(int row) const { return rows_.at(static_cast<std::size_t>(row)).answered; }
  std::size_t total(int row) const { return rows_.at(static_cast<std::size_t>(row)).total; }

 public Q_SLOTS:
  // Re-reads every run (after creating one).
  void reload() override;
  // Re-reads one run's status and answer count (e.g. when its execution finished).
  void refreshRun(qint64 run_id);
  // Progress without touching the store (RunController::progress): answered / total and status
  // kRunning.
  void setRunProgress(qint64 run_id, qulonglong done, qulonglong total);

 protected:
  int rows() const override { return static_cast<int>(rows_.size()); }
  int columns() const override { return kColumnCount; }
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;

 private:
  struct Row {
    sessions::RunInfo info;
    std::size_t answered = 0;
    std::size_t total = 0;
    QString dataset;
  };
  static Row readRow(sessions::SessionStore& store, const sessions::RunInfo& info,
                     const std::map<std::int64_t, sessions::DatasetInfo>& datasets);

  std::vector<Row> rows_;
};

}  // namespace mote::widgets
