#pragma once
// Draws a heatmap figure (title, layer-labelled rows, expert ticks, colour bar, tuning marks,
// selection) into any QPainter: the live view, a 300 dpi PNG or an SVG.
//
// Speed: the map itself is rendered into a small QImage (one pixel per cell) once per data
// change (setData / range / colour map); painting blits it scaled with nearest-neighbour
// sampling, then draws labels and marks on top. A 60 x 384 map is 23k pixels to colour, so a
// data change costs well under a millisecond and a repaint is dominated by the blit.
#include <QColor>
#include <QFont>
#include <QImage>
#include <QPainter>
#include <QVector>
#include <optional>
#include <utility>

#include "protocol/model_geometry.h"
#include "widgets/colormap.h"
#include "widgets/heatmap_layout.h"
#include "widgets/models/heatmap_data.h"
#include "widgets/models/tuning_document.h"

namespace mote::widgets {

// What is drawn on top of the map.
struct HeatmapOverlay {
  const TuningDocument::StateMap* states = nullptr;  // tuned experts (marks)
  std::optional<HeatmapCell> highlight;              // hovered / externally highlighted cell
  std::optional<std::pair<HeatmapCell, HeatmapCell>> selection;  // rectangle corners
};

struct HeatmapStyle {
  QColor background = Qt::white;
  QColor foreground = Qt::black;
  double lineWidth = 1.0;    // device units for frames and ticks (scale with dpi for export)
  double markMinSize = 7.0;  // marks are at least this big even on tiny cells (device units)
  bool fillBackground = true;
  // Draw the map from an image with imageUpscale x imageUpscale pixels per cell (for SVG, whose
  // viewers smooth embedded images).
  int imageUpscale = 1;
  HeatmapLayoutOptions layout;
};

class HeatmapRenderer {
 public:
  HeatmapRenderer();

  // Resets the data to an all-zero prompt map of the new shape.
  void setModelGeometry(const mote::ModelGeometry& geometry);
  const mote::ModelGeometry& modelGeometry() const { return geometry_; }
  int rows() const { return static_cast<int>(geometry_.n_moe_layers()); }
  int columns() const { return geometry_.n_experts; }

  // False (data unchanged) if the map's shape is not n_moe_layers x n_experts; an empty map
  // (size 0) shows zeros.
  bool setData(const HeatmapData& data);
  const HeatmapData& data() const { return data_; }

  void setColormaps(const Colormap& sequential, const Colormap& diverging);
  const Colormap& sequentialColormap() const { return *sequential_; }
  const Colormap& divergingColormap() const { return *diverging_; }
  const Colormap& activeColormap() const { return data_.diverging ? *diverging_ : *sequential_; }

  // Fixed colour range (e.g. to compare two maps); setAutoRange() goes back to [0, max] for
  // counts and [-max|v|, max|v|] for diverging data.
  void setValueRange(double low, double high);
  void setAutoRange();
  bool autoRange() const { return autoRange_; }
  double rangeLow() const { return low_; }
  double rangeHigh() const { return high_; }

  // One pixel per cell, row 0 = first MoE layer at the top.
  const QImage& image() const { return image_; }
  QVector<QString> rowLabels() const;

  HeatmapLayout layout(const QRectF& bounds, const QFontMetricsF& metrics,
                       const HeatmapLayoutOptions& options = {}) const;
  void paint(QPainter& painter, const HeatmapLayout& layout, const QFont& font,
             const HeatmapOverlay& overlay, const HeatmapStyle& style) const;

  std::optional<HeatmapCell> cellOf(const mote::ExpertAddress& address) const;
  mote::ExpertAddress addressOf(const HeatmapCell& cell) const;
  HeatmapCellInfo cellInfo(const HeatmapCell& cell, ExpertState state) const;

  // Up to ~6 "nice" tick values within [low, high].
  static QVector<double> niceTicks(double low, double high, int target = 5);

 private:
  void updateRange();
  void rebuildImage();
  void paintMarks(QPainter& painter, const HeatmapLayout& layout,
                  const TuningDocument::StateMap& states, const HeatmapStyle& style) const;

  mote::ModelGeometry geometry_;
  HeatmapData data_;
  const Colormap* sequential_;
  const Colormap* diverging_;
  bool autoRange_ = true;
  double low_ = 0.0, high_ = 1.0;
  QImage image_;
};

}  // namespace mote::widgets
