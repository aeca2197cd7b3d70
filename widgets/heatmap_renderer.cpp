#include "widgets/heatmap_renderer.h"

#include <QPainterPath>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

namespace mote::widgets {

HeatmapRenderer::HeatmapRenderer()
    : sequential_(&Colormap::viridis()), diverging_(&Colormap::coolWarm()) {}

void HeatmapRenderer::setModelGeometry(const mote::ModelGeometry& geometry) {
  geometry_ = geometry;
  data_ = HeatmapData{};
  data_.values = mote::ActivationMap::zeros(geometry_);
  updateRange();
  rebuildImage();
}

bool HeatmapRenderer::setData(const HeatmapData& data) {
  const bool emptyValues = data.values.size() == 0;
  if (!emptyValues && (data.values.rows != geometry_.n_moe_layers() ||
                       data.values.cols != static_cast<std::size_t>(geometry_.n_experts))) {
    return false;
  }
  data_ = data;
  if (emptyValues) data_.values = mote::ActivationMap::zeros(geometry_);
  if (!data_.hasWeights()) data_.weights = {};
  updateRange();
  rebuildImage();
  return true;
}

void HeatmapRenderer::setColormaps(const Colormap& sequential, const Colormap& diverging) {
  sequential_ = &sequential;
  diverging_ = &diverging;
  rebuildImage();
}

void HeatmapRenderer::setValueRange(double low, double high) {
  autoRange_ = false;
  low_ = low;
  high_ = high > low ? high : low + 1.0;
  rebuildImage();
}

void HeatmapRenderer::setAutoRange() {
  autoRange_ = true;
  updateRange();
  rebuildImage();
}

void HeatmapRenderer::updateRange() {
  if (!autoRange_) return;
  const auto& v = data_.values.values;
  if (data_.diverging) {
    double m = 0.0;
    for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
    if (!(m > 0.0)) m = 1.0;
    low_ = -m;
    high_ = m;
  } else {
    double lo = 0.0, hi = 0.0;
    for (float x : v) {
      lo = std::min(lo, static_cast<double>(x));
      hi = std::max(hi, static_cast<double>(x));
    }
    if (!(hi > lo)) hi = lo + 1.0;
    low_ = lo;
    high_ = hi;
  }
}

void HeatmapRenderer::rebuildImage() {
  const int r = rows(), c = columns();
  if (r <= 0 || c <= 0) {
    image_ = QImage();
    return;
  }
  // Premultiplied ARGB (all opaque): the raster engine's fastest source format for a scaled blit.
  if (image_.width() != c || image_.height() != r) {
    image_ = QImage(c, r, QImage::Format_ARGB32_Premultiplied);
  }
  const auto& table = activeColormap().table();
  const double scale = (Colormap::kSize - 1) / (high_ - low_);
  const float* values = data_.values.values.data();
  for (int row = 0; row < r; ++row) {
    auto* line = reinterpret_cast<QRgb*>(image_.scanLine(row));
    const float* in = values + static_cast<std::size_t>(row) * c;
    for (int col = 0; col < c; ++col) {
      const double t = (in[col] - low_) * scale;
      const int index =
          t > 0.0 ? (t < Colormap::kSize - 1 ? static_cast<int>(t + 0.5) : Colormap::kSize - 1)
                  : 0;  // NaN -> 0
      line[col] = table[static_cast<std::size_t>(index)];
    }
  }
}

QVector<QString> HeatmapRenderer::rowLabels() const {
  QVector<QString> labels;
  labels.reserve(static_cast<qsizetype>(geometry_.moe_layers.size()));
  for (int layer : geometry_.moe_layers) labels.push_back(QString::number(layer));
  return labels;
}

HeatmapLayout HeatmapRenderer::layout(const QRectF& bounds, const QFontMetricsF& metrics,
                                      const HeatmapLayoutOptions& options) const {
  return HeatmapLayout(bounds, rows(), columns(), rowLabels(), metrics, options);
}

std::optional<HeatmapCell> HeatmapRenderer::cellOf(const mote::ExpertAddress& address) const {
  if (!geometry_.contains(address)) return std::nullopt;
  return HeatmapCell{geometry_.moe_index(address.layer), address.expert};
}

mote::ExpertAddress HeatmapRenderer::addressOf(const HeatmapCell& cell) const {
  return {geometry_.moe_layers.at(static_cast<std::size_t>(cell.row)), cell.column};
}

HeatmapCellInfo HeatmapRenderer::cellInfo(const HeatmapCell& cell, ExpertState state) const {
  HeatmapCellInfo info;
  if (cell.row < 0 || cell.row >= rows() || cell.column < 0 || cell.column >= columns())
    return info;
  info.valid = true;
  info.address = addressOf(cell);
  info.moeLayer = cell.row;
  info.value =
      data_.values.at(static_cast<std::size_t>(cell.row), static_cast<std::size_t>(cell.column));
  if (data_.hasWeights()) {
    info.weight =
        data_.weights.at(static_cast<std::size_t>(cell.row), static_cast<std::size_t>(cell.column));
  }
  info.state = state;
  info.valueName = data_.valueName;
  return info;
}

QVector<double> HeatmapRenderer::niceTicks(double low, double high, int target) {
  QVector<double> ticks;
  if (!(high > low) || target < 1) return ticks;
  const double raw = (high - low) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  const double first = std::ceil(low / step - 1e-9) * step;
  for (double v = first; v <= high + step * 1e-9; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

void HeatmapRenderer::paint(QPainter& painter, const HeatmapLayout& layout, const QFont& font,
                            const HeatmapOverlay& overlay, const HeatmapStyle& style) const {
  painter.save();
  painter.setFont(font);
  if (style.fillBackground) painter.fillRect(layout.bounds(), style.background);
  const QRectF plot = layout.plotRect();
  const double fh = layout.fontHeight();
  const double tick = std::max(2.0, fh * 0.3);
  QPen pen(style.foreground, style.lineWidth);
  painter.setPen(pen);

  // Title.
  if (!layout.titleRect().isEmpty() && !data_.label.isEmpty()) {
    QFont bold = font;
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(layout.titleRect(), Qt::AlignHCenter | Qt::AlignVCenter, data_.label);
    painter.setFont(font);
  }
  if (layout.isEmpty() || image_.isNull()) {
    painter.restore();
    return;
  }

  // The map: one pixel per cell, nearest-neighbour scaled.
  painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
  painter.setRenderHint(QPainter::Antialiasing, false);
  if (style.imageUpscale > 1) {
    painter.drawImage(plot, image_.scaled(image_.width() * style.imageUpscale,
                                          image_.height() * style.imageUpscale,
                                          Qt::IgnoreAspectRatio, Qt::FastTransformation));
  } else {
    painter.drawImage(plot, image_);
  }
  painter.setBrush(Qt::NoBrush);
  painter.drawRect(plot);

  // Row labels: model layer indices.
  const auto& layers = geometry_.moe_layers;
  for (int row = 0; row < layout.rows(); row += layout.rowLabelStride()) {
    const QRectF cell = layout.cellRect(row, 0);
    const double y = cell.center().y();
    painter.drawLine(QPointF(plot.left() - tick, y), QPointF(plot.left(), y));
    const QRectF text(layout.bounds().left(), y - fh / 2,
                      plot.left() - tick - fh * 0.2 - layout.bounds().left(), fh);
    painter.drawText(text, Qt::AlignRight | Qt::AlignVCenter,
                     QString::number(layers[static_cast<std::size_t>(row)]));
  }
  // Expert ticks.
  for (int column = 0; column < layout.columns(); column += layout.columnTickStep()) {
    const double x = layout.cellRect(0, column).center().x();
    painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + tick));
    const QRectF text(x - fh * 3, plot.bottom() + tick, fh * 6, fh);
    painter.drawText(text, Qt::AlignHCenter | Qt::AlignTop, QString::number(column));
  }
  if (style.layout.axisTitles) {
    const QRectF below(plot.left(), plot.bottom() + tick + fh, plot.width(), fh * 1.25);
    painter.drawText(below, Qt::AlignHCenter | Qt::AlignVCenter, QStringLiteral("expert"));
    painter.save();
    painter.translate(layout.bounds().left() + style.layout.padding + fh * 0.6, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-plot.height() / 2, -fh / 2, plot.height(), fh), Qt::AlignCenter,
                     QStringLiteral("layer"));
    painter.restore();
  }

  // Colour bar: high values at the top.
  if (!layout.colorBarRect().isEmpty()) {
    const QRectF bar = layout.colorBarRect();
    QImage column(1, Colormap::kSize, QImage::Format_RGB32);
    const auto& table = activeColormap().table();
    for (int i = 0; i < Colormap::kSize; ++i) {
      column.setPixel(0, Colormap::kSize - 1 - i, table[static_cast<std::size_t>(i)]);
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
    painter.drawImage(bar, column);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawRect(bar);
    for (double v : niceTicks(low_, high_)) {
      const double y = bar.bottom() - (v - low_) / (high_ - low_) * bar.height();
      painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + tick, y));
      const QRectF text(bar.right() + tick + fh * 0.2, y - fh / 2, fh * 6, fh);
      painter.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, QString::number(v, 'g', 4));
    }
    if (style.layout.axisTitles) {
      painter.save();
      painter.translate(layout.bounds().right() - style.layout.padding - fh * 0.6,
                        bar.center().y());
      painter.rotate(-90);
      painter.drawText(QRectF(-bar.height() / 2, -fh / 2, bar.height(), fh), Qt::AlignCenter,
                       data_.valueName);
      painter.restore();
    }
  }

  // Tuning marks, selection and highlight.
  painter.setRenderHint(QPainter::Antialiasing, true);
  if (overlay.states && !overlay.states->empty())
    paintMarks(painter, layout, *overlay.states, style);
  if (overlay.selection) {
    const QRectF r = layout.cellSpanRect(overlay.selection->first, overlay.selection->second);
    painter.setBrush(QColor(255, 255, 255, 40));
    painter.setPen(QPen(Qt::white, style.lineWidth * 3));
    painter.drawRect(r);
    QPen dashed(Qt::black, style.lineWidth * 1.5, Qt::DashLine);
    painter.setPen(dashed);
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(r);
  }
  if (overlay.highlight) {
    QRectF r = layout.cellRect(overlay.highlight->row, overlay.highlight->column);
    const double w = std::max(r.width(), style.markMinSize),
                 h = std::max(r.height(), style.markMinSize);
    r = QRectF(r.center().x() - w / 2, r.center().y() - h / 2, w, h);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(Qt::white, style.lineWidth * 3));
    painter.drawRect(r);
    painter.setPen(QPen(Qt::black, style.lineWidth * 1.2));
    painter.drawRect(r);
  }
  painter.restore();
}

void HeatmapRenderer::paintMarks(QPainter& painter, const HeatmapLayout& layout,
                                 const TuningDocument::StateMap& states,
                                 const HeatmapStyle& style) const {
  // Suppressed: a dark cross with a white halo. Stimulated: a bright (white) up-triangle with a
  // dark outline. Both at least markMinSize, so they stay visible on 2-pixel cells; all marks of
  // a kind go into one path (thousands of marks after a bulk action stay cheap).
  QPainterPath crosses, triangles;
  triangles.setFillRule(Qt::WindingFill);
  const double cw = layout.cellWidth(), ch = layout.cellHeight();
  const double size = std::max(std::min(cw, ch) * 0.9, style.markMinSize);
  const double half = size / 2;
  for (const auto& [address, state] : states) {
    const auto cell = cellOf(address);
    if (!cell || state == ExpertState::kNone) continue;
    const QPointF c = layout.cellCenter(cell->row, cell->column);
    if (state == ExpertState::kSuppressed) {
      const double d = half * 0.8;
      crosses.moveTo(c.x() - d, c.y() - d);
      crosses.lineTo(c.x() + d, c.y() + d);
      crosses.moveTo(c.x() - d, c.y() + d);
      crosses.lineTo(c.x() + d, c.y() - d);
    } else {
      QPolygonF triangle;
      triangle << QPointF(c.x(), c.y() - half) << QPointF(c.x() + half, c.y() + half * 0.8)
               << QPointF(c.x() - half, c.y() + half * 0.8) << QPointF(c.x(), c.y() - half);
      triangles.addPolygon(triangle);
    }
  }
  painter.save();
  painter.setClipRect(layout.plotRect().adjusted(-half, -half, half, half));
  painter.setBrush(Qt::NoBrush);
  if (!crosses.isEmpty()) {
    painter.setPen(QPen(Qt::white, std::max(2.0, size * 0.3), Qt::SolidLine, Qt::RoundCap));
    painter.drawPath(crosses);
    painter.setPen(QPen(Qt::black, std::max(1.0, size * 0.14), Qt::SolidLine, Qt::RoundCap));
    painter.drawPath(crosses);
  }
  if (!triangles.isEmpty()) {
    painter.setPen(
        QPen(Qt::black, std::max(1.0, size * 0.12), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter.setBrush(Qt::white);
    painter.drawPath(triangles);
  }
  painter.restore();
}

}  // namespace mote::widgets
