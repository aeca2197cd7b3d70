#pragma once
// The prompts of one dataset of a session as a table: #, prompt text, then one column per
// metadata key (template variables or imported columns, sorted by name), e.g. to preview a
// dataset before starting a run.
#include <QStringList>
#include <cstdint>
#include <vector>

#include "sessions/session_store.h"
#include "widgets/models/table_model.h"

namespace mote::widgets {

class DatasetPromptModel : public TableModel {
  Q_OBJECT

 public:
  enum Role { kPromptIdRole = Qt::UserRole + 1, kSortRole };

  explicit DatasetPromptModel(QObject* parent = nullptr);

  // Reads the prompts of `dataset_id` from `store` (not kept); 0 or nullptr empties the model.
  // Returns false (model empty) if the store throws; `error` says why.
  bool load(sessions::SessionStore* store, std::int64_t dataset_id, QString* error = nullptr);
  std::int64_t datasetId() const { return dataset_id_; }
  const QStringList& metadataKeys() const { return keys_; }
  std::int64_t promptId(int row) const;

 protected:
  int rows() const override { return static_cast<int>(prompts_.size()); }
  int columns() const override;
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;

 private:
  std::int64_t dataset_id_ = 0;
  std::vector<sessions::StoredPrompt> prompts_;
  QStringList keys_;
};

}  // namespace mote::widgets
