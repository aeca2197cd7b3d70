#pragma once
// Where the parts of a heatmap figure go inside a rectangle (widget, PNG or SVG), and the exact
// mapping between positions and cells. Pure geometry: the view, the renderer and the figure
// export all use it, so a click hits the cell that was drawn there at any size.
//
//   +-------------------------------------------------+
//   |                      title                       |
//   | layer |                                | | bar | |
//   | labels|          plot (cells)          | | tic | |
//   |       |                                | |     | |
//   |       +--------------------------------+         |
//   |            expert ticks / "expert"               |
//   +-------------------------------------------------+
//
// Cell (row, column) covers x in [plot.left + column * w / columns, ... + w / columns) and y in
// [plot.top + row * h / rows, ...): the same formula the scaled image is drawn with.
#include <QFontMetricsF>
#include <QRectF>
#include <QString>
#include <QVector>
#include <optional>

namespace mote::widgets {

struct HeatmapCell {
  int row = -1;     // MoE layer index (0 = first MoE layer, drawn at the top)
  int column = -1;  // expert
  friend bool operator==(const HeatmapCell&, const HeatmapCell&) = default;
};

struct HeatmapLayoutOptions {
  bool title = true;
  bool colorBar = true;
  bool axisTitles = true;
  double padding = 4.0;  // around the figure, in device units
};

class HeatmapLayout {
 public:
  HeatmapLayout() = default;
  // `rowLabels` are the texts of the row labels (model layer indices), used to size the left
  // margin; `metrics` of the font the labels are drawn with on the target device.
  HeatmapLayout(const QRectF& bounds, int rows, int columns, const QVector<QString>& rowLabels,
                const QFontMetricsF& metrics, const HeatmapLayoutOptions& options = {});

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  const QRectF& bounds() const { return bounds_; }
  const QRectF& plotRect() const { return plot_; }
  const QRectF& titleRect() const { return title_; }
  const QRectF& colorBarRect() const { return colorBar_; }  // empty without a colour bar
  bool isEmpty() const { return rows_ <= 0 || columns_ <= 0 || plot_.isEmpty(); }

  double cellWidth() const { return columns_ > 0 ? plot_.width() / columns_ : 0.0; }
  double cellHeight() const { return rows_ > 0 ? plot_.height() / rows_ : 0.0; }
  // The cell under `point`, or nullopt outside the plot.
  std::optional<HeatmapCell> cellAt(const QPointF& point) const;
  // Like cellAt, but clamped to the nearest cell (dragging a rectangle past the plot edge).
  HeatmapCell clampedCellAt(const QPointF& point) const;
  QRectF cellRect(int row, int column) const;
  QPointF cellCenter(int row, int column) const { return cellRect(row, column).center(); }
  // The rectangle covering all cells between two corner cells (any order).
  QRectF cellSpanRect(const HeatmapCell& a, const HeatmapCell& b) const;

  // Label every `rowLabelStride()`-th row (rows 0, stride, 2*stride...) so labels never overlap;
  // expert ticks every `columnTickStep()` experts (a 1-2-4-8... or 1-2-5 step).
  int rowLabelStride() const { return rowStride_; }
  int columnTickStep() const { return columnStep_; }
  double fontHeight() const { return fontHeight_; }

 private:
  QRectF bounds_, plot_, title_, colorBar_;
  int rows_ = 0, columns_ = 0;
  int rowStride_ = 1, columnStep_ = 1;
  double fontHeight_ = 0.0;
};

}  // namespace mote::widgets
