#include "widgets/tuning_panel.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/models/tuning_table_model.h"

namespace mote::widgets {

using mote::ExpertAddress;

TuningPanel::TuningPanel(TuningDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  model_ = new TuningTableModel(document_, this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(TuningTableModel::SortRole);

  table_ = new QTableView(this);
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(TuningTableModel::kLayerColumn, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setAlternatingRowColors(true);

  auto* toolbar = new QToolBar(this);
  toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  loadAction_ = toolbar->addAction(tr("Load\u2026"), this, &TuningPanel::openLoadDialog);
  loadAction_->setToolTip(tr("Load a tuning (tuning JSON, expert-list JSON or CSV)"));
  saveAction_ = toolbar->addAction(tr("Save\u2026"), this, &TuningPanel::openSaveDialog);
  saveAction_->setToolTip(tr("Save the tuning (.json tuning, .experts.json or .csv expert list)"));
  removeAction_ = toolbar->addAction(tr("Remove selected"), this, &TuningPanel::removeSelected);
  clearAction_ = toolbar->addAction(tr("Clear"), this, &TuningPanel::clearTuning);
  toolbar->addSeparator();
  // No shortcuts on these actions (a main window's Edit menu owns Ctrl+Z; two actions with the
  // same key would be ambiguous): keyPressEvent handles the keys when the panel has focus.
  QAction* undo = document_->createUndoAction(this);
  QAction* redo = document_->createRedoAction(this);
  for (QAction* a : {undo, redo}) a->setShortcuts({});
  toolbar->addAction(undo);
  toolbar->addAction(redo);

  summary_ = new QLabel(this);
  message_ = new QLabel(this);
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_->setStyleSheet(QStringLiteral("color: #b40426;"));
  message_->hide();

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(toolbar);
  layout->addWidget(table_, 1);
  layout->addWidget(summary_);
  layout->addWidget(message_);

  connect(document_, &TuningDocument::changed, this, &TuningPanel::updateSummary);
  connect(document_, &TuningDocument::refused, this, &TuningPanel::showMessage);
  connect(table_, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
    Q_EMIT expertActivated(model_->addressAt(proxy_->mapToSource(index).row()));
  });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this] { removeAction_->setEnabled(!selectedExperts().isEmpty()); });
  updateSummary();
  removeAction_->setEnabled(false);
}

QVector<ExpertAddress> TuningPanel::selectedExperts() const {
  QVector<ExpertAddress> addresses;
  for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
    addresses.push_back(model_->addressAt(proxy_->mapToSource(index).row()));
  }
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

QString TuningPanel::message() const {
  return message_->isVisible() ? message_->text() : QString();
}

void TuningPanel::showMessage(const QString& message) {
  message_->setText(message);
  message_->setVisible(!message.isEmpty());
}

void TuningPanel::updateSummary() {
  const int suppressed = document_->suppressedCount();
  const int stimulated = document_->stimulatedCount();
  summary_->setText(tr("%1 suppressed \u00b7 %2 stimulated%3")
                        .arg(suppressed)
                        .arg(stimulated)
                        .arg(document_->isModified() ? tr(" \u00b7 modified") : QString()));
  clearAction_->setEnabled(!document_->empty());
  saveAction_->setEnabled(document_->modelGeometry().n_cells() > 0);
}

void TuningPanel::openLoadDialog() {
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Load tuning"), lastDirectory_,
      tr("Tunings (*.json *.csv);;Tuning JSON (*.json);;Expert list CSV (*.csv);;All files (*)"));
  if (!path.isEmpty()) loadFile(path);
}

void TuningPanel::openSaveDialog() {
  QString selectedFilter;
  QString path = QFileDialog::getSaveFileName(
      this, tr("Save tuning"), lastDirectory_,
      tr("Tuning JSON (*.json);;Expert list JSON (*.experts.json);;Expert list CSV (*.csv)"),
      &selectedFilter);
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) {
    path += selectedFilter.contains(QLatin1String("*.csv")) ? QStringLiteral(".csv")
            : selectedFilter.contains(QLatin1String("*.experts.json"))
                ? QStringLiteral(".experts.json")
                : QStringLiteral(".json");
  }
  saveFile(path);
}

bool TuningPanel::loadFile(const QString& path) {
  QString error;
  if (!document_->loadFile(path, &error)) return false;  // refused() shows the message
  lastDirectory_ = QFileInfo(path).absolutePath();
  showMessage({});
  updateSummary();
  Q_EMIT fileLoaded(path);
  return true;
}

bool TuningPanel::saveFile(const QString& path) {
  QString error;
  if (!document_->saveFile(path, &error)) return false;
  lastDirectory_ = QFileInfo(path).absolutePath();
  showMessage({});
  updateSummary();
  Q_EMIT fileSaved(path);
  return true;
}

void TuningPanel::removeSelected() {
  const auto addresses = selectedExperts();
  if (!addresses.isEmpty()) document_->setStates(addresses, ExpertState::kNone);
}

void TuningPanel::clearTuning() {
  document_->clear();
}

void TuningPanel::keyPressEvent(QKeyEvent* event) {
  // Keys the table did not use (it ignores these); window-level shortcuts win before this.
  if (event->matches(QKeySequence::Undo)) {
    document_->undo();
  } else if (event->matches(QKeySequence::Redo) ||
             event->keyCombination() ==
                 QKeyCombination(Qt::ControlModifier | Qt::ShiftModifier, Qt::Key_Z) ||
             event->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Y)) {
    document_->redo();
  } else if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
    removeSelected();
  } else {
    QWidget::keyPressEvent(event);
    return;
  }
  event->accept();
}

void TuningPanel::selectExpert(const ExpertAddress& address) {
  const int row = model_->rowOf(address);
  if (row < 0) {
    table_->clearSelection();
    return;
  }
  const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
  table_->selectionModel()->select(index,
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  table_->scrollTo(index);
}

}  // namespace mote::widgets
