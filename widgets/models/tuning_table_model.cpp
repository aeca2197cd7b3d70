#include "widgets/models/tuning_table_model.h"

#include <QBrush>
#include <QColor>
#include <QPoint>
#include <algorithm>

namespace mote::widgets {

using mote::ExpertAddress;

TuningTableModel::TuningTableModel(TuningDocument* document, QObject* parent)
    : TableModel(parent), document_(document) {
  if (document_) {
    for (const auto& [address, state] : document_->states()) rows_.push_back({address, state});
    connect(document_, &TuningDocument::changed, this, &TuningTableModel::sync);
    connect(document_, &QObject::destroyed, this, [this] {
      beginResetModel();
      rows_.clear();
      document_ = nullptr;
      endResetModel();
    });
  }
}

ExpertAddress TuningTableModel::addressAt(int row) const {
  if (row < 0 || row >= static_cast<int>(rows_.size())) return {};
  return rows_[static_cast<std::size_t>(row)].address;
}

int TuningTableModel::rowOf(const ExpertAddress& address) const {
  auto it = std::lower_bound(rows_.begin(), rows_.end(), address,
                             [](const Row& r, const ExpertAddress& a) { return r.address < a; });
  if (it == rows_.end() || it->address != address) return -1;
  return static_cast<int>(it - rows_.begin());
}

// Brings rows_ to the document's (sorted) state with contiguous removals, then insertions, then
// dataChanged for changed states: views keep their selection and scroll position.
void TuningTableModel::sync() {
  std::vector<Row> next;
  if (document_) {
    next.reserve(document_->states().size());
    for (const auto& [address, state] : document_->states()) next.push_back({address, state});
  }
  auto inNext = [&](const ExpertAddress& a) {
    return std::binary_search(next.begin(), next.end(), Row{a, ExpertState::kNone},
                              [](const Row& x, const Row& y) { return x.address < y.address; });
  };
  // Removals, from the back, in contiguous runs.
  for (int i = static_cast<int>(rows_.size()) - 1; i >= 0;) {
    if (inNext(rows_[static_cast<std::size_t>(i)].address)) {
      --i;
      continue;
    }
    int first = i;
    while (first > 0 && !inNext(rows_[static_cast<std::size_t>(first - 1)].address)) --first;
    beginRemoveRows({}, first, i);
    rows_.erase(rows_.begin() + first, rows_.begin() + i + 1);
    endRemoveRows();
    i = first - 1;
  }
  // Insertions in contiguous runs; rows_ is now a sorted subsequence of next.
  std::size_t j = 0;
  while (j < next.size()) {
    if (j < rows_.size() && rows_[j].address == next[j].address) {
      ++j;
      continue;
    }
    std::size_t end = j;
    while (end < next.size() && (j >= rows_.size() || next[end].address < rows_[j].address)) ++end;
    beginInsertRows({}, static_cast<int>(j), static_cast<int>(end) - 1);
    rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(j),
                 next.begin() + static_cast<std::ptrdiff_t>(j),
                 next.begin() + static_cast<std::ptrdiff_t>(end));
    endInsertRows();
    j = end;
  }
  // State changes.
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].state != next[i].state) {
      rows_[i].state = next[i].state;
      emitRowChanged(static_cast<int>(i));
    }
  }
}

QVariant TuningTableModel::cell(int r, int column, int role) const {
  const Row& row = rows_[static_cast<std::size_t>(r)];
  int moeLayer = -1;
  if (document_ && document_->modelGeometry().contains(row.address)) {
    moeLayer = document_->modelGeometry().moe_index(row.address.layer);
  }
  switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
      switch (column) {
        case kLayerColumn:
          return row.address.layer;
        case kMoeLayerColumn:
          return moeLayer;
        case kExpertColumn:
          return row.address.expert;
        case kStateColumn:
          return expertStateName(row.state);
      }
      break;
    case Qt::TextAlignmentRole:
      return column == kStateColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                    : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
      if (column == kStateColumn) {
        return QBrush(row.state == ExpertState::kSuppressed ? QColor(59, 76, 192)
                                                            : QColor(180, 4, 38));
      }
      break;
    case Qt::ToolTipRole:
      return tr("layer %1 (moe_layer %2), expert %3: %4")
          .arg(row.address.layer)
          .arg(moeLayer)
          .arg(row.address.expert)
          .arg(expertStateName(row.state));
    case AddressRole:
      return QPoint(row.address.layer, row.address.expert);
    case StateRole:
      return static_cast<int>(row.state);
    case SortRole:
      switch (column) {
        case kLayerColumn:
          return row.address.layer;
        case kMoeLayerColumn:
          return moeLayer;
        case kExpertColumn:
          return row.address.expert;
        case kStateColumn:
          return static_cast<int>(row.state);
      }
      break;
    default:
      break;
  }
  return {};
}

QString TuningTableModel::columnTitle(int column) const {
  switch (column) {
    case kLayerColumn:
      return tr("layer");
    case kMoeLayerColumn:
      return tr("moe_layer");
    case kExpertColumn:
      return tr("expert");
    case kStateColumn:
      return tr("state");
  }
  return {};
}

Qt::ItemFlags TuningTableModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
  if (index.column() == kStateColumn) f |= Qt::ItemIsEditable;
  return f;
}

bool TuningTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || !document_ || index.column() != kStateColumn ||
      !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return false;
  }
  std::optional<ExpertState> state;
  if (value.typeId() == QMetaType::Int) {
    const int v = value.toInt();
    if (v >= 0 && v <= 2) state = static_cast<ExpertState>(v);
  } else {
    state = expertStateFromName(value.toString());
  }
  if (!state) return false;
  return document_->setState(rows_[static_cast<std::size_t>(index.row())].address, *state);
}

}  // namespace mote::widgets
