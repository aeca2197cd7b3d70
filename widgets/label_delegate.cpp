#include "widgets/label_delegate.h"

#include <QComboBox>
#include <QLineEdit>

namespace mote::widgets {

LabelDelegate::LabelDelegate(std::function<QStringList()> labels, QObject* parent)
    : QStyledItemDelegate(parent), labels_(std::move(labels)) {}

QWidget* LabelDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&,
                                     const QModelIndex&) const {
  auto* box = new QComboBox(parent);
  box->setEditable(true);
  box->addItem(QString());  // clears the manual label
  for (const QString& label : labels_ ? labels_() : QStringList())
    if (!label.isEmpty()) box->addItem(label);
  box->setToolTip(tr("Empty: remove the manual label (the rule label applies again)"));
  return box;
}

void LabelDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
  auto* box = static_cast<QComboBox*>(editor);
  // A rule label is shown as the placeholder: committing it unchanged adds no manual label.
  const QString current = index.data(Qt::EditRole).toString();
  box->lineEdit()->setPlaceholderText(index.data(Qt::DisplayRole).toString());
  const int i = box->findText(current);
  if (i >= 0)
    box->setCurrentIndex(i);
  else
    box->setEditText(current);
}

void LabelDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                 const QModelIndex& index) const {
  model->setData(index, static_cast<QComboBox*>(editor)->currentText().trimmed(), Qt::EditRole);
}

}  // namespace mote::widgets
