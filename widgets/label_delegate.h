#pragma once
// Edits a results table's label cell with a combo box of the labels the classifier declares and
// the table already uses (still editable, for a new label); the empty entry clears the manual
// label so the rule label applies again. Typing labels by hand invites "0-REFUSED " typos that
// would silently form a class of their own.
#include <QStyledItemDelegate>
#include <functional>

namespace mote::widgets {

class LabelDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  // `labels` is asked each time an editor opens (labels change as the user edits).
  explicit LabelDelegate(std::function<QStringList()> labels, QObject* parent = nullptr);

  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                        const QModelIndex& index) const override;
  void setEditorData(QWidget* editor, const QModelIndex& index) const override;
  void setModelData(QWidget* editor, QAbstractItemModel* model,
                    const QModelIndex& index) const override;

 private:
  std::function<QStringList()> labels_;
};

}  // namespace mote::widgets
