#pragma once
// PNG / SVG export of charts and other widgets. Graphics views (Qt Charts) are rendered from
// their scene, so the SVG is vector graphics; other widgets are rendered with QWidget::render.
#include <QString>

class QWidget;

namespace mote::widgets {

// Renders `widget` at `scale` times its size (2 = twice the screen resolution) into a PNG.
bool exportWidgetPng(QWidget* widget, const QString& path, double scale = 2.0,
                     QString* error = nullptr);
// Renders `widget` into an SVG file of its size; `title` goes into the SVG metadata.
bool exportWidgetSvg(QWidget* widget, const QString& path, const QString& title = {},
                     QString* error = nullptr);
// Writes UTF-8 text (CSV, JSON) to a file.
bool writeTextFile(const QString& path, const QString& text, QString* error = nullptr);
// PNG or SVG by the file name's suffix (anything else is PNG).
bool exportWidgetImage(QWidget* widget, const QString& path, const QString& title = {},
                       QString* error = nullptr);

}  // namespace mote::widgets
