#pragma once
// The runs of a session as a table: name, kind, dataset, status, answered / total, model,
// tuning, seed, created. Live progress of a running run comes from RunController
// (setRunProgress / refreshRun), not from polling.
#include <QAbstractTableModel>
#include <cstdint>
#include <map>
#include <vector>

#include "sessions/session_store.h"

namespace mote::widgets {

class SessionRunModel : public QAbstractTableModel {
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

  void setStore(sessions::SessionStore* store);
  sessions::SessionStore* store() const { return store_; }

  std::int64_t runId(int row) const;
  int rowOfRun(std::int64_t run_id) const;  // -1 if absent
  const sessions::RunInfo& run(int row) const {
    return rows_.at(static_cast<std::size_t>(row)).info;
  }
  std::size_t answered(int row) const { return rows_.at(static_cast<std::size_t>(row)).answered; }
  std::size_t total(int row) const { return rows_.at(static_cast<std::size_t>(row)).total; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 public Q_SLOTS:
  // Re-reads every run (after creating one).
  void reload();
  // Re-reads one run's status and answer count (e.g. when its execution finished).
  void refreshRun(qint64 run_id);
  // Progress without touching the store (RunController::progress): answered / total and status
  // kRunning.
  void setRunProgress(qint64 run_id, qulonglong done, qulonglong total);

 Q_SIGNALS:
  void loadFailed(const QString& message);

 private:
  struct Row {
    sessions::RunInfo info;
    std::size_t answered = 0;
    std::size_t total = 0;
    QString dataset;
  };
  Row readRow(const sessions::RunInfo& info, const std::map<std::int64_t, sessions::DatasetInfo>&);
  void emitRowChanged(int row);

  sessions::SessionStore* store_ = nullptr;
  std::vector<Row> rows_;
};

}  // namespace mote::widgets
