#pragma once
// The boilerplate every flat table model of the workbench repeats, written once: rows without
// children, data() asked only for valid indexes of this model, a horizontal header of column
// titles and tooltips, and a dataChanged for a whole row. A subclass says how many rows and
// columns it has, what a cell holds and what a column is called.
#include <QAbstractTableModel>
#include <QString>
#include <QVariant>

namespace mote::widgets {

class TableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit TableModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const final;
  int columnCount(const QModelIndex& parent = {}) const final;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const final;
  // Horizontal: columnTitle (DisplayRole) and columnToolTip (ToolTipRole); everything else as
  // QAbstractTableModel (row numbers; the workbench's views hide the vertical header).
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 protected:
  virtual int rows() const = 0;
  virtual int columns() const = 0;
  // `row` and `column` are in range.
  virtual QVariant cell(int row, int column, int role) const = 0;
  // `column` is in range.
  virtual QString columnTitle(int column) const = 0;
  virtual QString columnToolTip(int column) const;
  // dataChanged for every column of `row`.
  void emitRowChanged(int row);
};

}  // namespace mote::widgets
