#include "widgets/models/session_dataset_model.h"

namespace mote::widgets {

SessionDatasetModel::SessionDatasetModel(QObject* parent) : SessionTableModel(parent) {}

void SessionDatasetModel::reload() {
  reloadInto(datasets_, [](sessions::SessionStore& store) { return store.list_datasets(); });
}

std::int64_t SessionDatasetModel::datasetId(int row) const {
  if (row < 0 || row >= rows()) return 0;
  return datasets_[static_cast<std::size_t>(row)].id;
}

int SessionDatasetModel::rowOfDataset(std::int64_t dataset_id) const {
  for (std::size_t i = 0; i < datasets_.size(); ++i)
    if (datasets_[i].id == dataset_id) return static_cast<int>(i);
  return -1;
}

QVariant SessionDatasetModel::cell(int row, int column, int role) const {
  const auto& d = datasets_[static_cast<std::size_t>(row)];
  switch (role) {
    case Qt::DisplayRole:
      switch (column) {
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
      if (column == kPrompts) return static_cast<qulonglong>(d.n_prompts);
      return cell(row, column, Qt::DisplayRole);
    case Qt::ToolTipRole: {
      QString tip = QString::fromStdString(d.description);
      if (d.system_prompt)
        tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
               tr("System prompt: %1").arg(QString::fromStdString(*d.system_prompt));
      return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
    case Qt::TextAlignmentRole:
      if (column == kPrompts) return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case kDatasetIdRole:
      return static_cast<qlonglong>(d.id);
    default:
      return {};
  }
}

QString SessionDatasetModel::columnTitle(int column) const {
  switch (column) {
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
