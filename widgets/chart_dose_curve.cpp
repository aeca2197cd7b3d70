#include "widgets/chart_dose_curve.h"

#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QLogValueAxis>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "widgets/chart_export.h"

namespace mote::widgets {

DoseCurveChartView::DoseCurveChartView(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  chart()->setTitle(tr("Dose curve"));
  chart()->legend()->setAlignment(Qt::AlignBottom);
  setMinimumSize(320, 160);
}

void DoseCurveChartView::setCurve(const sessions::DoseCurve& curve, const QString& label,
                                  std::optional<double> random_baseline) {
  curve_ = curve;
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* axis : c->axes()) {
    c->removeAxis(axis);
    delete axis;
  }
  const QString what = label.isEmpty() ? tr("flip rate") : tr("flip rate of %1").arg(label);
  c->setTitle(tr("Dose curve: %1").arg(what));

  line_ = new QLineSeries;
  line_->setName(tr("top-N tuned"));
  QPen pen(QColor(0xd5, 0x5e, 0x00));
  pen.setWidthF(2.0);
  line_->setPen(pen);
  points_ = new QScatterSeries;
  points_->setMarkerSize(9.0);
  points_->setColor(QColor(0xd5, 0x5e, 0x00));
  points_->setBorderColor(Qt::white);
  points_->setPointLabelsVisible(true);
  points_->setPointLabelsFormat(QStringLiteral("@yPoint%"));
  points_->setPointLabelsClipping(false);
  double n_min = 1.0, n_max = 1.0;
  bool first = true;
  for (std::size_t i = 0; i < curve.n_experts.size() && i < curve.flip_rate.size(); ++i) {
    const double n = static_cast<double>(curve.n_experts[i]);
    if (first) {
      n_min = n_max = n;
      first = false;
    }
    n_min = std::min(n_min, n);
    n_max = std::max(n_max, n);
    if (std::isnan(curve.flip_rate[i])) continue;
    const double y = std::round(1000.0 * curve.flip_rate[i]) / 10.0;
    line_->append(n, y);
    points_->append(n, y);
  }
  c->addSeries(line_);
  c->addSeries(points_);
  QLineSeries* baseline = nullptr;
  if (random_baseline) {
    baseline = new QLineSeries;
    baseline->setName(tr("random control mean: %1%").arg(100.0 * *random_baseline, 0, 'f', 1));
    QPen dashed(QColor(0x00, 0x72, 0xb2));
    dashed.setStyle(Qt::DashLine);
    dashed.setWidthF(1.5);
    baseline->setPen(dashed);
    baseline->append(n_min, 100.0 * *random_baseline);
    baseline->append(n_max, 100.0 * *random_baseline);
    c->addSeries(baseline);
  }
  c->legend()->markers(points_).front()->setVisible(false);

  QAbstractAxis* x = nullptr;
  if (n_min >= 1.0 && n_max / n_min >= 10.0) {
    auto* log_axis = new QLogValueAxis;
    log_axis->setBase(10.0);
    log_axis->setRange(n_min / 1.3, n_max * 1.3);
    log_axis->setLabelFormat(QStringLiteral("%g"));
    log_axis->setMinorTickCount(8);
    x = log_axis;
  } else {
    auto* lin = new QValueAxis;
    lin->setRange(std::max(0.0, n_min - 1.0), n_max + 1.0);
    lin->setLabelFormat(QStringLiteral("%d"));
    x = lin;
  }
  x->setTitleText(tr("tuned experts (top N of the ranking)"));
  auto* y = new QValueAxis;
  y->setRange(0.0, 100.0);
  y->setLabelFormat(QStringLiteral("%.0f"));
  y->setTitleText(tr("%1 (%)").arg(what));
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : c->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  connect(points_, &QScatterSeries::clicked, this, [this](const QPointF& p) {
    Q_EMIT doseActivated(static_cast<qulonglong>(std::llround(p.x())));
  });
}

bool DoseCurveChartView::exportImage(const QString& path) {
  return exportWidgetImage(this, path, chart()->title());
}

bool DoseCurveChartView::exportCsv(const QString& path) const {
  QString text = QStringLiteral("n_experts,flip_rate\n");
  for (std::size_t i = 0; i < curve_.n_experts.size(); ++i) {
    text += QString::number(curve_.n_experts[i]) + QLatin1Char(',');
    if (i < curve_.flip_rate.size() && !std::isnan(curve_.flip_rate[i]))
      text += QString::number(curve_.flip_rate[i], 'g', QLocale::FloatingPointShortest);
    text += QLatin1Char('\n');
  }
  return writeTextFile(path, text);
}

}  // namespace mote::widgets
