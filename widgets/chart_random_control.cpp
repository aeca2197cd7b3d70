#include "widgets/chart_random_control.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QLocale>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "widgets/chart_export.h"

namespace mote::widgets {

RandomControlChartView::RandomControlChartView(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  chart()->setTitle(tr("Random control"));
  chart()->legend()->setAlignment(Qt::AlignBottom);
  setMinimumSize(320, 160);
}

std::vector<int> RandomControlChartView::histogram(const std::vector<double>& values, double low,
                                                   double high, int bins) {
  std::vector<int> counts(static_cast<std::size_t>(std::max(1, bins)), 0);
  const double width = (high - low) / static_cast<double>(counts.size());
  if (!(width > 0)) return counts;
  for (double v : values) {
    if (!(v >= low && v <= high)) continue;
    auto b = static_cast<std::size_t>((v - low) / width);
    if (b >= counts.size()) b = counts.size() - 1;  // v == high
    ++counts[b];
  }
  return counts;
}

int RandomControlChartView::binCount(std::size_t n_values) {
  return std::clamp(static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n_values)))), 5, 40);
}

void RandomControlChartView::setSummary(const sessions::RandomControlSummary& summary,
                                        const QString& label) {
  summary_ = summary;
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* axis : c->axes()) {
    c->removeAxis(axis);
    delete axis;
  }
  tuned_line_ = nullptr;
  tuned_band_ = nullptr;
  const bool counted = summary.n_class > 0;  // results stored before the counts have no intervals
  const QString what = label.isEmpty() ? tr("flip rate") : tr("flip rate of %1").arg(label);
  QString title = tr("Random control: %1 (K = %2 draws, p = %3")
                      .arg(what)
                      .arg(summary.draws.size())
                      .arg(summary.p, 0, 'g', 3);
  if (!std::isnan(summary.fisher_p))
    title += tr(", Fisher p = %1").arg(summary.fisher_p, 0, 'g', 3);
  c->setTitle(title + QStringLiteral(")"));

  // x in percent; the range covers the draws and the tuned rate (its interval) with some margin.
  double top = counted ? summary.tuned_ci.high : summary.tuned;
  for (double d : summary.draws) top = std::max(top, d);
  const double x_max = std::min(100.0, std::max(5.0, std::ceil(top * 110.0 / 5.0) * 5.0));
  const int bins = binCount(summary.draws.size());
  std::vector<double> percent;
  percent.reserve(summary.draws.size());
  for (double d : summary.draws) percent.push_back(100.0 * d);
  const auto counts = histogram(percent, 0.0, x_max, bins);
  const double width = x_max / bins;

  // The histogram as a filled step outline.
  auto* upper = new QLineSeries;
  upper->append(0.0, 0.0);
  int max_count = 1;
  for (int b = 0; b < bins; ++b) {
    const double h = counts[static_cast<std::size_t>(b)];
    max_count = std::max(max_count, counts[static_cast<std::size_t>(b)]);
    upper->append(b * width, h);
    upper->append((b + 1) * width, h);
  }
  upper->append(x_max, 0.0);
  auto* area = new QAreaSeries(upper);
  if (counted) {
    area->setName(tr("random draws (mean %1%, sd %2%; pooled 95% CI %3–%4%)")
                      .arg(100.0 * summary.mean, 0, 'f', 1)
                      .arg(100.0 * summary.std, 0, 'f', 1)
                      .arg(100.0 * summary.pooled_ci.low, 0, 'f', 1)
                      .arg(100.0 * summary.pooled_ci.high, 0, 'f', 1));
  } else {
    area->setName(tr("random draws (mean %1%, sd %2%)")
                      .arg(100.0 * summary.mean, 0, 'f', 1)
                      .arg(100.0 * summary.std, 0, 'f', 1));
  }
  area->setColor(QColor(0x56, 0xb4, 0xe9, 170));
  area->setBorderColor(QColor(0x00, 0x72, 0xb2));
  c->addSeries(area);

  if (counted) {
    // The band first, so the marker is drawn over it.
    auto* low = new QLineSeries;
    auto* high = new QLineSeries;
    const double y_top = max_count * 1.1;
    low->append(100.0 * summary.tuned_ci.low, 0.0);
    low->append(100.0 * summary.tuned_ci.high, 0.0);
    high->append(100.0 * summary.tuned_ci.low, y_top);
    high->append(100.0 * summary.tuned_ci.high, y_top);
    tuned_band_ = new QAreaSeries(high, low);
    tuned_band_->setName(tr("tuned 95% CI %1–%2%")
                             .arg(100.0 * summary.tuned_ci.low, 0, 'f', 1)
                             .arg(100.0 * summary.tuned_ci.high, 0, 'f', 1));
    tuned_band_->setColor(QColor(0xd5, 0x5e, 0x00, 50));
    tuned_band_->setBorderColor(QColor(0xd5, 0x5e, 0x00, 90));
    c->addSeries(tuned_band_);
  }
  tuned_line_ = new QLineSeries;
  tuned_line_->setName(tr("tuned: %1%").arg(100.0 * summary.tuned, 0, 'f', 1));
  tuned_line_->append(100.0 * summary.tuned, 0.0);
  tuned_line_->append(100.0 * summary.tuned, max_count * 1.1);
  QPen pen(QColor(0xd5, 0x5e, 0x00));
  pen.setWidthF(2.5);
  tuned_line_->setPen(pen);
  c->addSeries(tuned_line_);

  auto* x = new QValueAxis;
  x->setRange(0.0, x_max);
  x->setTitleText(tr("%1 (%)").arg(what));
  x->setLabelFormat(QStringLiteral("%.0f"));
  auto* y = new QValueAxis;
  y->setRange(0.0, max_count * 1.15);
  y->setLabelFormat(QStringLiteral("%d"));
  y->setTitleText(tr("draws"));
  x->applyNiceNumbers();
  y->applyNiceNumbers();
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : c->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
}

bool RandomControlChartView::exportImage(const QString& path) {
  return exportWidgetImage(this, path, chart()->title());
}

bool RandomControlChartView::exportCsv(const QString& path) const {
  QString text = QStringLiteral("draw,flip_rate\n");
  for (std::size_t d = 0; d < summary_.draws.size(); ++d)
    text += QStringLiteral("%1,%2\n").arg(d).arg(summary_.draws[d], 0, 'g',
                                                 QLocale::FloatingPointShortest);
  text += QStringLiteral("tuned,%1\n").arg(summary_.tuned, 0, 'g', QLocale::FloatingPointShortest);
  text += QStringLiteral("p,%1\n").arg(summary_.p, 0, 'g', QLocale::FloatingPointShortest);
  if (summary_.n_class > 0) {
    const auto number = [](double v) {
      return QString::number(v, 'g', QLocale::FloatingPointShortest);
    };
    text += QStringLiteral("tuned_ci_low,%1\ntuned_ci_high,%2\n")
                .arg(number(summary_.tuned_ci.low), number(summary_.tuned_ci.high));
    text += QStringLiteral("pooled_random,%1\npooled_ci_low,%2\npooled_ci_high,%3\n")
                .arg(number(summary_.pooled_rate()), number(summary_.pooled_ci.low),
                     number(summary_.pooled_ci.high));
    if (!std::isnan(summary_.fisher_p))
      text += QStringLiteral("fisher_p,%1\n").arg(number(summary_.fisher_p));
  }
  return writeTextFile(path, text);
}

}  // namespace mote::widgets
