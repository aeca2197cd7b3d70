#pragma once
// The tuned experts of a TuningDocument as a table: layer | moe_layer | expert | state, one row
// per suppressed or stimulated expert, sorted by (layer, expert). Follows the document with
// fine-grained row inserts/removals/dataChanged (selections in a view survive edits). The state
// column is editable ("suppressed" / "stimulated" / "none"; none removes the row), through the
// document, so edits are undoable and the stimulate limit applies.
#include <QPointer>
#include <vector>

#include "widgets/models/table_model.h"
#include "widgets/models/tuning_document.h"

namespace mote::widgets {

class TuningTableModel : public TableModel {
  Q_OBJECT

 public:
  enum Column { kLayerColumn = 0, kMoeLayerColumn, kExpertColumn, kStateColumn, kColumnCount };
  enum Role {
    // QPoint(layer, expert) of the row, any column.
    AddressRole = Qt::UserRole + 1,
    // ExpertState as int, any column.
    StateRole,
    // A number for every column (layer, moe_layer, expert, state as 1/2), for sort proxies.
    SortRole,
  };

  explicit TuningTableModel(TuningDocument* document, QObject* parent = nullptr);

  TuningDocument* document() const { return document_; }
  mote::ExpertAddress addressAt(int row) const;
  // Row of a tuned expert, or -1.
  int rowOf(const mote::ExpertAddress& address) const;

  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

 protected:
  int rows() const override { return static_cast<int>(rows_.size()); }
  int columns() const override { return kColumnCount; }
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;

 private:
  struct Row {
    mote::ExpertAddress address;
    ExpertState state;
  };
  void sync();

  QPointer<TuningDocument> document_;
  std::vector<Row> rows_;
};

}  // namespace mote::widgets
