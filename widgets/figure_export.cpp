#include "widgets/figure_export.h"

#include <QApplication>
#include <QFileInfo>
#include <QImageWriter>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <cmath>

#include "widgets/heatmap_view.h"

namespace mote::widgets {
namespace {

constexpr double kMetresPerInch = 0.0254;

QFont figureFont(const FigureOptions& options) {
  QFont font = options.fontFamily.isEmpty() ? QApplication::font() : QFont(options.fontFamily);
  font.setPointSizeF(options.fontPointSize);
  return font;
}

// The renderer with the figure's title (a copy: the caller's renderer is untouched).
HeatmapRenderer titled(const HeatmapRenderer& renderer, const FigureOptions& options) {
  HeatmapRenderer copy = renderer;
  if (!options.title.isEmpty()) {
    HeatmapData data = copy.data();
    data.label = options.title;
    copy.setData(data);
  }
  return copy;
}

// Draws the figure into `device` (whose logical DPI sizes the fonts) over `bounds`.
void paintFigure(QPaintDevice* device, const QRectF& bounds, double dpi,
                 const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                 const FigureOptions& options, int imageUpscale) {
  QPainter painter(device);
  const QFont font = figureFont(options);
  const QFontMetricsF metrics(font, device);
  HeatmapStyle style;
  style.background = options.background;
  style.foreground = Qt::black;
  style.lineWidth = std::max(0.5, dpi / 150.0);
  style.markMinSize = dpi * 0.035;  // ~2.5 pt
  style.imageUpscale = imageUpscale;
  style.layout.colorBar = options.colorBar;
  style.layout.padding = metrics.height() * 0.5;
  const HeatmapLayout layout = renderer.layout(bounds, metrics, style.layout);
  HeatmapOverlay overlay;
  if (options.marks) overlay.states = states;
  renderer.paint(painter, layout, font, overlay, style);
}

}  // namespace

QSize FigureOptions::pixelSize() const {
  return {static_cast<int>(std::lround(widthInches * dpi)),
          static_cast<int>(std::lround(heightInches * dpi))};
}

QImage renderHeatmapFigure(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                           const FigureOptions& options) {
  const QSize size = options.pixelSize();
  QImage image(size, QImage::Format_ARGB32_Premultiplied);
  const int dotsPerMetre = static_cast<int>(std::lround(options.dpi / kMetresPerInch));
  image.setDotsPerMeterX(dotsPerMetre);
  image.setDotsPerMeterY(dotsPerMetre);
  image.fill(options.background);
  paintFigure(&image, QRectF(QPointF(0, 0), QSizeF(size)), options.dpi, titled(renderer, options),
              states, options, 1);
  return image;
}

bool exportHeatmapPng(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                      const QString& path, const FigureOptions& options, QString* error) {
  const QImage image = renderHeatmapFigure(renderer, states, options);
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    if (error) *error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  QImageWriter writer(&file, "png");
  if (!writer.write(image) || !file.commit()) {
    if (error) {
      *error = QStringLiteral("Cannot write %1: %2")
                   .arg(path, writer.error() != QImageWriter::UnknownError ? writer.errorString()
                                                                           : file.errorString());
    }
    return false;
  }
  return true;
}

bool exportHeatmapSvg(const HeatmapRenderer& renderer, const TuningDocument::StateMap* states,
                      const QString& path, const FigureOptions& options, QString* error) {
  // One SVG unit = 1 pt (resolution 72), so the font's point size is its size in the file and the
  // figure's physical size is width x height inches.
  constexpr int kResolution = 72;
  const QSizeF size(options.widthInches * kResolution, options.heightInches * kResolution);
  const HeatmapRenderer figure = titled(renderer, options);
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setResolution(kResolution);
  generator.setSize(size.toSize());
  generator.setViewBox(QRectF(QPointF(0, 0), size));
  generator.setTitle(figure.data().label);
  generator.setDescription(
      QStringLiteral("MoE routing heatmap: rows = MoE layers (model layer index), "
                     "columns = routed experts"));
  // Viewers smooth embedded images; blocks of 8 x 8 pixels per cell keep cell edges sharp.
  paintFigure(&generator, QRectF(QPointF(0, 0), size), kResolution, figure, states, options, 8);
  if (!QFileInfo(path).isFile() || QFileInfo(path).size() == 0) {
    if (error) *error = QStringLiteral("Cannot write %1").arg(path);
    return false;
  }
  return true;
}

bool exportHeatmapPng(const HeatmapView& view, const QString& path, const FigureOptions& options,
                      QString* error) {
  const TuningDocument* document = view.document();
  return exportHeatmapPng(view.renderer(), document ? &document->states() : nullptr, path, options,
                          error);
}

bool exportHeatmapSvg(const HeatmapView& view, const QString& path, const FigureOptions& options,
                      QString* error) {
  const TuningDocument* document = view.document();
  return exportHeatmapSvg(view.renderer(), document ? &document->states() : nullptr, path, options,
                          error);
}

}  // namespace mote::widgets
