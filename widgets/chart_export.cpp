#include "widgets/chart_export.h"

#include <QFile>
#include <QFileInfo>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QImage>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>
#include <cmath>

namespace mote::widgets {
namespace {

void setError(QString* error, const QString& message) {
  if (error) *error = message;
}

// Draws the widget's content into `painter` over `target`.
void renderInto(QWidget* widget, QPainter& painter, const QRectF& target) {
  if (auto* view = qobject_cast<QGraphicsView*>(widget); view && view->scene()) {
    // The visible part of the scene, as vector items.
    const QRectF source = view->mapToScene(view->viewport()->rect()).boundingRect();
    view->scene()->render(&painter, target, source, Qt::IgnoreAspectRatio);
  } else {
    painter.save();
    painter.scale(target.width() / std::max(1, widget->width()),
                  target.height() / std::max(1, widget->height()));
    widget->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
    painter.restore();
  }
}

QSize contentSize(QWidget* widget) {
  if (auto* view = qobject_cast<QGraphicsView*>(widget)) return view->viewport()->size();
  return widget->size();
}

}  // namespace

bool exportWidgetPng(QWidget* widget, const QString& path, double scale, QString* error) {
  if (!widget) {
    setError(error, QStringLiteral("nothing to export"));
    return false;
  }
  const QSize size = contentSize(widget);
  if (size.isEmpty()) {
    setError(error, QStringLiteral("the view has no size"));
    return false;
  }
  QImage image((QSizeF(size) * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
  image.setDevicePixelRatio(1.0);
  image.fill(widget->palette().color(QPalette::Base));
  {
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    renderInto(widget, painter, QRectF(QPointF(0, 0), QSizeF(image.size())));
  }
  if (!image.save(path, "PNG")) {
    setError(error, QStringLiteral("cannot write %1").arg(path));
    return false;
  }
  return true;
}

bool exportWidgetSvg(QWidget* widget, const QString& path, const QString& title, QString* error) {
  if (!widget) {
    setError(error, QStringLiteral("nothing to export"));
    return false;
  }
  const QSize size = contentSize(widget);
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setSize(size);
  generator.setViewBox(QRect(QPoint(0, 0), size));
  generator.setTitle(title.isEmpty() ? widget->windowTitle() : title);
  generator.setDescription(QStringLiteral("MoTE Workbench"));
  QPainter painter;
  if (!painter.begin(&generator)) {
    setError(error, QStringLiteral("cannot write %1").arg(path));
    return false;
  }
  painter.setRenderHint(QPainter::Antialiasing);
  renderInto(widget, painter, QRectF(QPointF(0, 0), QSizeF(size)));
  painter.end();
  if (!QFileInfo(path).isFile() || QFileInfo(path).size() == 0) {
    setError(error, QStringLiteral("cannot write %1").arg(path));
    return false;
  }
  return true;
}

bool writeTextFile(const QString& path, const QString& text, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    setError(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return false;
  }
  file.write(text.toUtf8());
  if (!file.commit()) {
    setError(error, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return false;
  }
  return true;
}

bool exportWidgetImage(QWidget* widget, const QString& path, const QString& title, QString* error) {
  if (path.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive))
    return exportWidgetSvg(widget, path, title, error);
  return exportWidgetPng(widget, path, 2.0, error);
}

}  // namespace mote::widgets
