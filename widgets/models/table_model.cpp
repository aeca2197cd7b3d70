#include "widgets/models/table_model.h"

namespace mote::widgets {

TableModel::TableModel(QObject* parent) : QAbstractTableModel(parent) {}

int TableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : rows();
}

int TableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : columns();
}

QVariant TableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return {};
  return cell(index.row(), index.column(), role);
}

QVariant TableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
    return QAbstractTableModel::headerData(section, orientation, role);
  if (section < 0 || section >= columns()) return {};
  const QString text = role == Qt::DisplayRole ? columnTitle(section) : columnToolTip(section);
  return text.isEmpty() ? QVariant() : QVariant(text);
}

QString TableModel::columnToolTip(int) const {
  return {};
}

void TableModel::emitRowChanged(int row) {
  if (row < 0 || row >= rows()) return;
  Q_EMIT dataChanged(index(row, 0), index(row, columns() - 1));
}

}  // namespace mote::widgets
