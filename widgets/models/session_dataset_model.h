#pragma once
// The datasets of a session as a table: name, prompts, mode, description.
#include <cstdint>
#include <vector>

#include "sessions/session_store.h"
#include "widgets/models/session_table_model.h"

namespace mote::widgets {

class SessionDatasetModel : public SessionTableModel {
  Q_OBJECT

 public:
  enum Column { kName, kPrompts, kMode, kDescription, kColumnCount };
  enum Role { kDatasetIdRole = Qt::UserRole + 1, kSortRole };

  explicit SessionDatasetModel(QObject* parent = nullptr);

  std::int64_t datasetId(int row) const;
  int rowOfDataset(std::int64_t dataset_id) const;  // -1 if absent
  const sessions::DatasetInfo& dataset(int row) const {
    return datasets_.at(static_cast<std::size_t>(row));
  }

 public Q_SLOTS:
  // Re-reads the datasets (after an import).
  void reload() override;

 protected:
  int rows() const override { return static_cast<int>(datasets_.size()); }
  int columns() const override { return kColumnCount; }
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;

 private:
  std::vector<sessions::DatasetInfo> datasets_;
};

}  // namespace mote::widgets
