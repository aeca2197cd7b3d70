#include "widgets/session_dataset_model.h"

#include <exception>

namespace mote::widgets {

SessionDatasetModel::SessionDatasetModel(QObject* parent) : QAbstractTableModel(parent) {}

void SessionDatasetModel::setStore(sessions::SessionStore* store) {
  store_ = store;
  reload();
}

void SessionDatasetModel::reload() {
  std::vector<sessions::DatasetInfo> datasets;
  QString error;
  if (store_) {
    try {
      datasets = store_->list_datasets();
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
      datasets.clear();
    }
  }
  beginResetModel();
  datasets_ = std::move(datasets);
  endResetModel();
  if (!error.isEmpty()) Q_EMIT loadFailed(error);
}

std::int64_t SessionDatasetModel::datasetId(int row) const {
  if (row < 0 || row >= rowCount()) return 0;
  return datasets_[static_cast<std::size_t>(row)].id;
}

int SessionDatasetModel::rowOfDataset(std::int64_t dataset_id) const {
  for (std::size_t i = 0; i < datasets_.size(); ++i)
    if (datasets_[i].id == dataset_id) return static_cast<int>(i);
  return -1;
}

int SessionDatasetModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(datasets_.size());
}

int SessionDatasetModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant SessionDatasetModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return {};
  const auto& d = datasets_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case kName:
          return QString::fromStdString(d.name);
        case kPrompts:
          return static_cast<qulonglong>(d.n_prompts);
        case kMode:
          return QString::fromStdString(sessions::to_string(d.mode));
        case kDescription:
          return QString::fromStdString(d.description);
        default:
          return {};
      }
    case kSortRole:
      if (index.column() == kPrompts) return static_cast<qulonglong>(d.n_prompts);
      return data(index, Qt::DisplayRole);
    case Qt::ToolTipRole: {
      QString tip = QString::fromStdString(d.description);
      if (d.system_prompt)
        tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
               tr("System prompt: %1").arg(QString::fromStdString(*d.system_prompt));
      return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
    case Qt::TextAlignmentRole:
      if (index.column() == kPrompts) return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case kDatasetIdRole:
      return static_cast<qlonglong>(d.id);
    default:
      return {};
  }
}

QVariant SessionDatasetModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case kName:
      return tr("Dataset");
    case kPrompts:
      return tr("Prompts");
    case kMode:
      return tr("Mode");
    case kDescription:
      return tr("Description");
    default:
      return {};
  }
}

}  // namespace mote::widgets
