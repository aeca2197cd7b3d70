#pragma once
// The live MoE heatmap: rows = MoE layers (labelled with the model layer index), columns =
// routed experts. Shows whatever map it is given (setData; see RoutingAccumulator for the
// token / prompt / answer / difference maps) and edits the tuning of a TuningDocument:
//
//  - hover: tooltip "layer, moe_layer, expert, count, weight, state" + cellHovered(info)
//  - click: cycles the expert none -> suppressed -> stimulated -> none (TuningDocument::cycle;
//    marks: dark cross = suppressed, bright triangle = stimulated)
//  - drag: selects a rectangle of cells; selectionChanged(addresses) on release. With Shift the
//    rectangle is suppressed, with Ctrl stimulated, with Ctrl+Shift cleared, at once; without a
//    modifier it stays selected for the context menu (right click) or the *Selection() slots.
//  - keys (when focused): Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo, Esc clears the selection,
//    Delete clears the tuning of the selection.
// Every edit is one undoable command of the document; refusals (stimulate limit) come from
// TuningDocument::refused.
#include <QPointer>
#include <QWidget>
#include <optional>
#include <utility>

#include "widgets/heatmap_renderer.h"
#include "widgets/models/tuning_document.h"

class QMenu;

namespace mote::widgets {

class HeatmapView : public QWidget {
  Q_OBJECT

 public:
  explicit HeatmapView(QWidget* parent = nullptr);
  ~HeatmapView() override;

  // Not owned. The view's geometry follows the document's (geometryChanged).
  void setDocument(TuningDocument* document);
  TuningDocument* document() const { return document_; }
  // Geometry for a view without a document (read-only display, e.g. an fTRI map).
  void setModelGeometry(const mote::ModelGeometry& geometry);
  const mote::ModelGeometry& modelGeometry() const { return renderer_.modelGeometry(); }

  const HeatmapRenderer& renderer() const { return renderer_; }
  const HeatmapData& data() const { return renderer_.data(); }
  // The layout of the current widget size and font (hit testing).
  const HeatmapLayout& currentLayout() const;
  std::optional<mote::ExpertAddress> addressAt(const QPointF& position) const;
  // Centre of an expert's cell in widget coordinates (nullopt if not in the geometry).
  std::optional<QPointF> cellCenter(const mote::ExpertAddress& address) const;
  HeatmapCellInfo cellInfo(const mote::ExpertAddress& address) const;
  // The selected rectangle's experts, row-major (empty without a selection).
  QVector<mote::ExpertAddress> selection() const;
  bool hasSelection() const { return selection_.has_value(); }
  // The context menu for a position (actions for the selection if `position` is inside it,
  // else for the cell there). Caller owns the menu. Public so a main window can extend it.
  QMenu* createContextMenu(const QPoint& position, QWidget* parent = nullptr);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 public Q_SLOTS:
  // Ignored (returns without repaint) if the map's shape does not match the geometry.
  void setData(const mote::widgets::HeatmapData& data);
  void setValueRange(double low, double high);
  void setAutoRange();
  // Colour maps by name (Colormap::names()); unknown names are ignored.
  void setColormaps(const QString& sequential, const QString& diverging);
  void selectRectangle(const mote::ExpertAddress& corner1, const mote::ExpertAddress& corner2);
  void clearSelection();
  void suppressSelection();
  void stimulateSelection();
  void clearSelectionTuning();
  void setHighlightedExpert(const mote::ExpertAddress& address);
  void clearHighlight();

 Q_SIGNALS:
  // The cell under the mouse changed (info.valid == false when the mouse left the map), or the
  // data under a hovered cell changed.
  void cellHovered(const mote::widgets::HeatmapCellInfo& info);
  // A click on an expert; `state` is its state after the click.
  void expertClicked(const mote::ExpertAddress& address, mote::widgets::ExpertState state);
  // A rectangle was dragged (or set/cleared): its experts, row-major.
  void selectionChanged(const QVector<mote::ExpertAddress>& addresses);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void changeEvent(QEvent* event) override;
  bool event(QEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void invalidateLayout();
  void setHoverCell(const std::optional<HeatmapCell>& cell);
  void applyToSelection(ExpertState state);
  void updateCell(const std::optional<HeatmapCell>& cell);
  ExpertState stateOf(const HeatmapCell& cell) const;

  HeatmapRenderer renderer_;
  QPointer<TuningDocument> document_;
  mutable std::optional<HeatmapLayout> layout_;
  std::optional<HeatmapCell> hover_;
  std::optional<HeatmapCell> highlight_;
  std::optional<std::pair<HeatmapCell, HeatmapCell>> selection_;
  // Mouse press state.
  QPointF pressPosition_;
  std::optional<HeatmapCell> pressCell_;
  bool dragging_ = false;
};

}  // namespace mote::widgets
