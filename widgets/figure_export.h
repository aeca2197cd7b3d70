#pragma once
// Publication figures of a heatmap: PNG at a given size and resolution (default 7 x 3.5 in at
// 300 dpi = 2100 x 1050 px, dpi stored in the file) and SVG (QSvgGenerator; axes, labels, title,
// colour bar and tuning marks are vector elements, the map itself an embedded image with one
// block of pixels per cell). Both draw with HeatmapRenderer, i.e. exactly what the view shows.
#include <QFont>
#include <QImage>
#include <QString>

#include "widgets/heatmap_renderer.h"
#include "widgets/models/tuning_document.h"

namespace mote::widgets {

class HeatmapView;

struct FigureOptions {
  double widthInches = 7.0;
  double heightInches = 3.5;
  int dpi = 300;
  QString title;  // empty: the data's label
  double fontPointSize = 7.0;
  QString fontFamily;  // empty: the application font's family
  bool colorBar = true;
  bool marks = true;  // draw the tuning marks (if a document is given)
  QColor background = Qt::white;

  // Pixel size of the PNG: round(inches * dpi).
  QSize pixelSize() const;
};

// Renders the figure into an image of options.pixelSize() whose dots-per-metre say options.dpi.
// `states` (may be null) are drawn as marks when options.marks.
QImage renderHeatmapFigure(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                           const FigureOptions& options);
bool exportHeatmapPng(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                      const QString& path, const FigureOptions& options, QString* error = nullptr);
bool exportHeatmapSvg(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                      const QString& path, const FigureOptions& options, QString* error = nullptr);

// The view's current data, colour maps, range and its document's tuning.
bool exportHeatmapPng(const HeatmapView& view, const QString& path, const FigureOptions& options,
                      QString* error = nullptr);
bool exportHeatmapSvg(const HeatmapView& view, const QString& path, const FigureOptions& options,
                      QString* error = nullptr);

}  // namespace mote::widgets
