#pragma once
// The datasets of a session as a table: name, prompts, mode, description.
#include <QAbstractTableModel>
#include <cstdint>
#include <vector>

#include "sessions/session_store.h"

namespace mote::widgets {

class SessionDatasetModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { kName, kPrompts, kMode, kDescription, kColumnCount };
  enum Role { kDatasetIdRole = Qt::UserRole + 1, kSortRole };

  explicit SessionDatasetModel(QObject* parent = nullptr);

  // Not owned; nullptr empties the model. Reads the store at once.
  void setStore(sessions::SessionStore* store);
  sessions::SessionStore* store() const { return store_; }

  std::int64_t datasetId(int row) const;
  int rowOfDataset(std::int64_t dataset_id) const;  // -1 if absent
  const sessions::DatasetInfo& dataset(int row) const {
    return datasets_.at(static_cast<std::size_t>(row));
  }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 public Q_SLOTS:
  // Re-reads the datasets (after an import).
  void reload();

 Q_SIGNALS:
  // The store threw while reading (the model is then empty).
  void loadFailed(const QString& message);

 private:
  sessions::SessionStore* store_ = nullptr;
  std::vector<sessions::DatasetInfo> datasets_;
};

}  // namespace mote::widgets
