#include "widgets/heatmap_layout.h"

#include <algorithm>
#include <cmath>

namespace mote::widgets {
namespace {

// Smallest "nice" stride (1, 2, 5, 10, 20, 50, ...) with stride * unit >= needed.
int niceStride(double unit, double needed) {
  if (unit <= 0) return 1;
  for (int decade = 1; decade < 1000000; decade *= 10) {
    for (int m : {1, 2, 5}) {
      if (m * decade * unit >= needed) return m * decade;
    }
  }
  return 1000000;
}

// Smallest power of two with step * unit >= needed (expert counts are multiples of 32).
int powerOfTwoStep(double unit, double needed) {
  int step = 1;
  while (unit > 0 && step * unit < needed && step < (1 << 20)) step *= 2;
  return step;
}

}  // namespace

HeatmapLayout::HeatmapLayout(const QRectF& bounds, int rows, int columns,
                             const QVector<QString>& rowLabels, const QFontMetricsF& metrics,
                             const HeatmapLayoutOptions& options)
    : bounds_(bounds), rows_(std::max(rows, 0)), columns_(std::max(columns, 0)) {
  const double fh = metrics.height();
  fontHeight_ = fh;
  const double pad = options.padding;
  const double tick = std::max(2.0, fh * 0.3);
  const double axisTitle = options.axisTitles ? fh * 1.25 : 0.0;

  double labelWidth = 0.0;
  for (const QString& label : rowLabels)
    labelWidth = std::max(labelWidth, metrics.horizontalAdvance(label));
  const double columnLabelWidth =
      metrics.horizontalAdvance(QString::number(std::max(columns_ - 1, 0)));

  const double top = bounds.top() + pad + (options.title ? fh * 1.5 : fh * 0.5);
  const double left = bounds.left() + pad + axisTitle + labelWidth + tick + fh * 0.25;
  const double bottom = bounds.bottom() - pad - axisTitle - fh - tick - fh * 0.25;
  double right = bounds.right() - pad - std::max(columnLabelWidth / 2, fh * 0.5);
  double barWidth = 0.0, barGap = 0.0;
  if (options.colorBar) {
    barWidth = std::max(6.0, fh * 0.9);
    barGap = fh * 0.8;
    const double valueLabelWidth = metrics.horizontalAdvance(QStringLiteral("\u22128888.8"));
    right =
        bounds.right() - pad - axisTitle - valueLabelWidth - tick - fh * 0.25 - barWidth - barGap;
  }
  plot_ = QRectF(QPointF(left, top), QPointF(std::max(left, right), std::max(top, bottom)));
  if (options.title)
    title_ = QRectF(bounds.left() + pad, bounds.top() + pad, bounds.width() - 2 * pad, fh * 1.5);
  if (options.colorBar)
    colorBar_ = QRectF(plot_.right() + barGap, plot_.top(), barWidth, plot_.height());

  rowStride_ = niceStride(cellHeight(), fh * 1.05);
  columnStep_ = powerOfTwoStep(cellWidth(), columnLabelWidth + fh * 0.8);
}

std::optional<HeatmapCell> HeatmapLayout::cellAt(const QPointF& point) const {
  if (isEmpty()) return std::nullopt;
  if (point.x() < plot_.left() || point.x() >= plot_.right() || point.y() < plot_.top() ||
      point.y() >= plot_.bottom()) {
    return std::nullopt;
  }
  return clampedCellAt(point);
}

HeatmapCell HeatmapLayout::clampedCellAt(const QPointF& point) const {
  if (isEmpty()) return {};
  const int column =
      static_cast<int>(std::floor((point.x() - plot_.left()) * columns_ / plot_.width()));
  const int row = static_cast<int>(std::floor((point.y() - plot_.top()) * rows_ / plot_.height()));
  return {std::clamp(row, 0, rows_ - 1), std::clamp(column, 0, columns_ - 1)};
}

QRectF HeatmapLayout::cellRect(int row, int column) const {
  if (isEmpty()) return {};
  const double x0 = plot_.left() + column * plot_.width() / columns_;
  const double x1 = plot_.left() + (column + 1) * plot_.width() / columns_;
  const double y0 = plot_.top() + row * plot_.height() / rows_;
  const double y1 = plot_.top() + (row + 1) * plot_.height() / rows_;
  return QRectF(QPointF(x0, y0), QPointF(x1, y1));
}

QRectF HeatmapLayout::cellSpanRect(const HeatmapCell& a, const HeatmapCell& b) const {
  const QRectF first = cellRect(std::min(a.row, b.row), std::min(a.column, b.column));
  const QRectF last = cellRect(std::max(a.row, b.row), std::max(a.column, b.column));
  return first.united(last);
}

}  // namespace mote::widgets
