#include "widgets/heatmap_view.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QUndoStack>
#include <QtDebug>

namespace mote::widgets {

using mote::ExpertAddress;

namespace {

QString selectedText(qsizetype n) {
  return n == 1 ? QStringLiteral("1 selected expert")
                : QStringLiteral("%1 selected experts").arg(n);
}

}  // namespace

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

HeatmapView::~HeatmapView() = default;

void HeatmapView::setDocument(TuningDocument* document) {
  if (document_ == document) return;
  if (document_) disconnect(document_, nullptr, this, nullptr);
  document_ = document;
  if (document_) {
    connect(document_, &TuningDocument::changed, this, qOverload<>(&QWidget::update));
    connect(document_, &TuningDocument::geometryChanged, this,
            [this] { setModelGeometry(document_->modelGeometry()); });
    if (document_->modelGeometry().n_cells() > 0) setModelGeometry(document_->modelGeometry());
  }
  update();
}

void HeatmapView::setModelGeometry(const mote::ModelGeometry& geometry) {
  renderer_.setModelGeometry(geometry);
  hover_.reset();
  highlight_.reset();
  const bool hadSelection = selection_.has_value();
  selection_.reset();
  invalidateLayout();
  if (hadSelection) Q_EMIT selectionChanged({});
}

const HeatmapLayout& HeatmapView::currentLayout() const {
  if (!layout_) {
    layout_ = renderer_.layout(QRectF(rect()), QFontMetricsF(font(), this));
  }
  return *layout_;
}

void HeatmapView::invalidateLayout() {
  layout_.reset();
  update();
}

std::optional<ExpertAddress> HeatmapView::addressAt(const QPointF& position) const {
  const auto cell = currentLayout().cellAt(position);
  if (!cell) return std::nullopt;
  return renderer_.addressOf(*cell);
}

std::optional<QPointF> HeatmapView::cellCenter(const ExpertAddress& address) const {
  const auto cell = renderer_.cellOf(address);
  if (!cell) return std::nullopt;
  return currentLayout().cellCenter(cell->row, cell->column);
}

ExpertState HeatmapView::stateOf(const HeatmapCell& cell) const {
  return document_ ? document_->state(renderer_.addressOf(cell)) : ExpertState::kNone;
}

HeatmapCellInfo HeatmapView::cellInfo(const ExpertAddress& address) const {
  const auto cell = renderer_.cellOf(address);
  if (!cell) return {};
  return renderer_.cellInfo(*cell, stateOf(*cell));
}

QVector<ExpertAddress> HeatmapView::selection() const {
  QVector<ExpertAddress> addresses;
  if (!selection_) return addresses;
  const auto [a, b] = *selection_;
  for (int row = std::min(a.row, b.row); row <= std::max(a.row, b.row); ++row) {
    for (int column = std::min(a.column, b.column); column <= std::max(a.column, b.column);
         ++column) {
      addresses.push_back(renderer_.addressOf({row, column}));
    }
  }
  return addresses;
}

QSize HeatmapView::sizeHint() const {
  return {900, 480};
}
QSize HeatmapView::minimumSizeHint() const {
  return {240, 160};
}

void HeatmapView::setData(const HeatmapData& data) {
  if (!renderer_.setData(data)) {
    qWarning("HeatmapView::setData: map of %zu x %zu does not match the geometry (%zu x %d)",
             data.values.rows, data.values.cols, renderer_.modelGeometry().n_moe_layers(),
             renderer_.modelGeometry().n_experts);
    return;
  }
  update();
  if (hover_) Q_EMIT cellHovered(renderer_.cellInfo(*hover_, stateOf(*hover_)));
}

void HeatmapView::setValueRange(double low, double high) {
  renderer_.setValueRange(low, high);
  update();
}

void HeatmapView::setAutoRange() {
  renderer_.setAutoRange();
  update();
}

void HeatmapView::setColormaps(const QString& sequential, const QString& diverging) {
  const Colormap* s = Colormap::byName(sequential);
  const Colormap* d = Colormap::byName(diverging);
  renderer_.setColormaps(s ? *s : renderer_.sequentialColormap(),
                         d ? *d : renderer_.divergingColormap());
  update();
}

void HeatmapView::selectRectangle(const ExpertAddress& corner1, const ExpertAddress& corner2) {
  const auto a = renderer_.cellOf(corner1), b = renderer_.cellOf(corner2);
  if (!a || !b) return;
  selection_ = std::make_pair(*a, *b);
  update();
  Q_EMIT selectionChanged(selection());
}

void HeatmapView::clearSelection() {
  if (!selection_) return;
  selection_.reset();
  update();
  Q_EMIT selectionChanged({});
}

void HeatmapView::applyToSelection(ExpertState state) {
  if (!document_ || !selection_) return;
  if (document_->setStates(selection(), state)) clearSelection();
}

void HeatmapView::suppressSelection() {
  applyToSelection(ExpertState::kSuppressed);
}
void HeatmapView::stimulateSelection() {
  applyToSelection(ExpertState::kStimulated);
}
void HeatmapView::clearSelectionTuning() {
  applyToSelection(ExpertState::kNone);
}

void HeatmapView::setHighlightedExpert(const ExpertAddress& address) {
  highlight_ = renderer_.cellOf(address);
  update();
}

void HeatmapView::clearHighlight() {
  highlight_.reset();
  update();
}

void HeatmapView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  HeatmapStyle style;
  style.background = palette().color(QPalette::Window);
  style.foreground = palette().color(QPalette::WindowText);
  HeatmapOverlay overlay;
  if (document_) overlay.states = &document_->states();
  overlay.highlight = highlight_ ? highlight_ : hover_;
  overlay.selection = selection_;
  renderer_.paint(painter, currentLayout(), font(), overlay, style);
}

void HeatmapView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  layout_.reset();
}

void HeatmapView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
    invalidateLayout();
}

bool HeatmapView::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const auto cell = currentLayout().cellAt(help->pos());
    if (!cell) {
      QToolTip::hideText();
      event->ignore();
      return true;
    }
    const QRect area = currentLayout().cellRect(cell->row, cell->column).toAlignedRect();
    QToolTip::showText(help->globalPos(), renderer_.cellInfo(*cell, stateOf(*cell)).toolTip(), this,
                       area);
    return true;
  }
  return QWidget::event(event);
}

void HeatmapView::updateCell(const std::optional<HeatmapCell>& cell) {
  if (!cell) return;
  const HeatmapLayout& layout = currentLayout();
  const double margin = HeatmapStyle{}.markMinSize + 4;
  update(layout.cellRect(cell->row, cell->column)
             .adjusted(-margin, -margin, margin, margin)
             .toAlignedRect());
}

void HeatmapView::setHoverCell(const std::optional<HeatmapCell>& cell) {
  if (cell == hover_) return;
  updateCell(hover_);
  hover_ = cell;
  updateCell(hover_);
  Q_EMIT cellHovered(hover_ ? renderer_.cellInfo(*hover_, stateOf(*hover_)) : HeatmapCellInfo{});
}

void HeatmapView::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) {
    QWidget::mousePressEvent(event);
    return;
  }
  pressPosition_ = event->position();
  pressCell_ = currentLayout().cellAt(pressPosition_);
  dragging_ = false;
  event->accept();
}

void HeatmapView::mouseMoveEvent(QMouseEvent* event) {
  const HeatmapLayout& layout = currentLayout();
  if ((event->buttons() & Qt::LeftButton) && pressCell_) {
    if (!dragging_ && (event->position() - pressPosition_).manhattanLength() >=
                          QApplication::startDragDistance()) {
      dragging_ = true;
    }
    if (dragging_) {
      selection_ = std::make_pair(*pressCell_, layout.clampedCellAt(event->position()));
      update();
    }
  }
  setHoverCell(layout.cellAt(event->position()));
  event->accept();
}

void HeatmapView::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton || !pressCell_) {
    QWidget::mouseReleaseEvent(event);
    return;
  }
  const HeatmapLayout& layout = currentLayout();
  if (dragging_) {
    selection_ = std::make_pair(*pressCell_, layout.clampedCellAt(event->position()));
    dragging_ = false;
    pressCell_.reset();
    update();
    Q_EMIT selectionChanged(selection());
    const auto mods = event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier);
    if (mods == (Qt::ShiftModifier | Qt::ControlModifier)) {
      clearSelectionTuning();
    } else if (mods == Qt::ShiftModifier) {
      suppressSelection();
    } else if (mods == Qt::ControlModifier) {
      stimulateSelection();
    }
  } else {
    const auto cell = layout.cellAt(event->position());
    const auto pressed = pressCell_;
    pressCell_.reset();
    if (cell && pressed && *cell == *pressed) {
      clearSelection();
      const ExpertAddress address = renderer_.addressOf(*cell);
      const ExpertState state = document_ ? document_->cycle(address) : ExpertState::kNone;
      Q_EMIT expertClicked(address, state);
      if (hover_ == cell) Q_EMIT cellHovered(renderer_.cellInfo(*cell, stateOf(*cell)));
    }
  }
  event->accept();
}

void HeatmapView::leaveEvent(QEvent* event) {
  QWidget::leaveEvent(event);
  setHoverCell(std::nullopt);
}

QMenu* HeatmapView::createContextMenu(const QPoint& position, QWidget* parent) {
  auto* menu = new QMenu(parent ? parent : this);
  const HeatmapLayout& layout = currentLayout();
  const bool inSelection =
      selection_ && layout.cellSpanRect(selection_->first, selection_->second).contains(position);
  if (document_ && inSelection) {
    const auto count = selection().size();
    menu->addAction(tr("Suppress %1").arg(selectedText(count)), this,
                    &HeatmapView::suppressSelection);
    menu->addAction(tr("Stimulate %1").arg(selectedText(count)), this,
                    &HeatmapView::stimulateSelection);
    menu->addAction(tr("Clear tuning of %1").arg(selectedText(count)), this,
                    &HeatmapView::clearSelectionTuning);
  } else if (const auto cell = layout.cellAt(position); document_ && cell) {
    const ExpertAddress address = renderer_.addressOf(*cell);
    QPointer<TuningDocument> document = document_;
    const QString name = describeAddress(address);
    menu->addAction(tr("Suppress expert %1").arg(name), this, [document, address] {
      if (document) document->setState(address, ExpertState::kSuppressed);
    });
    menu->addAction(tr("Stimulate expert %1").arg(name), this, [document, address] {
      if (document) document->setState(address, ExpertState::kStimulated);
    });
    menu->addAction(tr("Clear expert %1").arg(name), this, [document, address] {
      if (document) document->setState(address, ExpertState::kNone);
    });
  }
  if (selection_) menu->addAction(tr("Clear selection"), this, &HeatmapView::clearSelection);
  if (document_) {
    menu->addSeparator();
    QAction* undo = menu->addAction(tr("Undo"), document_.data(), &TuningDocument::undo);
    undo->setEnabled(document_->undoStack()->canUndo());
    QAction* redo = menu->addAction(tr("Redo"), document_.data(), &TuningDocument::redo);
    redo->setEnabled(document_->undoStack()->canRedo());
  }
  return menu;
}

void HeatmapView::contextMenuEvent(QContextMenuEvent* event) {
  QMenu* menu = createContextMenu(event->pos());
  menu->setAttribute(Qt::WA_DeleteOnClose);
  if (menu->actions().isEmpty()) {
    delete menu;
    return;
  }
  menu->popup(event->globalPos());
}

void HeatmapView::keyPressEvent(QKeyEvent* event) {
  // Only reached when no window-level shortcut took the key (e.g. the main window's Undo).
  if (document_ && event->matches(QKeySequence::Undo)) {
    document_->undo();
  } else if (document_ &&
             (event->matches(QKeySequence::Redo) ||
              event->keyCombination() ==
                  QKeyCombination(Qt::ControlModifier | Qt::ShiftModifier, Qt::Key_Z) ||
              event->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Y))) {
    document_->redo();
  } else if (event->key() == Qt::Key_Escape && selection_) {
    clearSelection();
  } else if ((event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) && selection_) {
    clearSelectionTuning();
  } else {
    QWidget::keyPressEvent(event);
    return;
  }
  event->accept();
}

}  // namespace mote::widgets
