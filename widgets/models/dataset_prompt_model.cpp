#include "widgets/models/dataset_prompt_model.h"

#include <exception>
#include <set>

namespace mote::widgets {

namespace {
constexpr int kFixedColumns = 2;  // #, prompt
}

DatasetPromptModel::DatasetPromptModel(QObject* parent) : TableModel(parent) {}

bool DatasetPromptModel::load(sessions::SessionStore* store, std::int64_t dataset_id,
                              QString* error) {
  std::vector<sessions::StoredPrompt> prompts;
  QStringList keys;
  bool ok = true;
  if (store && dataset_id != 0) {
    try {
      prompts = store->prompts(dataset_id);
      std::set<std::string> names;
      for (const auto& p : prompts)
        for (const auto& [key, value] : p.prompt.metadata) names.insert(key);
      for (const auto& name : names) keys << QString::fromStdString(name);
    } catch (const std::exception& e) {
      if (error) *error = QString::fromStdString(e.what());
      prompts.clear();
      keys.clear();
      ok = false;
    }
  }
  beginResetModel();
  dataset_id_ = ok ? dataset_id : 0;
  prompts_ = std::move(prompts);
  keys_ = keys;
  endResetModel();
  return ok;
}

std::int64_t DatasetPromptModel::promptId(int row) const {
  return row >= 0 && row < rows() ? prompts_[static_cast<std::size_t>(row)].id : 0;
}

int DatasetPromptModel::columns() const {
  return kFixedColumns + static_cast<int>(keys_.size());
}

QVariant DatasetPromptModel::cell(int row, int column, int role) const {
  const auto& p = prompts_[static_cast<std::size_t>(row)];
  switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
      if (column == 0)
        return role == Qt::DisplayRole ? QVariant(qulonglong(p.position + 1)) : QVariant();
      if (column == 1) return QString::fromStdString(p.prompt.text);
      if (const auto it = p.prompt.metadata.find(keys_.at(column - kFixedColumns).toStdString());
          it != p.prompt.metadata.end())
        return QString::fromStdString(it->second);
      return {};
    case kSortRole:
      if (column == 0) return qulonglong(p.position);
      return cell(row, column, Qt::DisplayRole);
    case Qt::TextAlignmentRole:
      return column == 0 ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case kPromptIdRole:
      return static_cast<qlonglong>(p.id);
    default:
      return {};
  }
}

QString DatasetPromptModel::columnTitle(int column) const {
  if (column == 0) return tr("#");
  if (column == 1) return tr("Prompt");
  return keys_.at(column - kFixedColumns);
}

}  // namespace mote::widgets
