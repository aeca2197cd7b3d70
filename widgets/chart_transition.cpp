#include "widgets/chart_transition.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QCursor>
#include <QLegend>
#include <QStackedBarSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>

#include "widgets/chart_export.h"
#include "widgets/chart_palette.h"

namespace mote::widgets {

TransitionChartView::TransitionChartView(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  chart()->setTitle(tr("Class transitions"));
  chart()->legend()->setAlignment(Qt::AlignBottom);
  setMinimumSize(320, 160);
}

void TransitionChartView::setTransitions(const sessions::TransitionMatrix& matrix,
                                         const QString& original_name, const QString& tuned_name) {
  matrix_ = matrix;
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* axis : c->axes()) {
    c->removeAxis(axis);
    delete axis;
  }
  c->setTitle(tr("Class transitions %1 \u2192 %2").arg(original_name, tuned_name));

  auto* series = new QStackedBarSeries;
  QStringList categories;
  for (const auto& l : matrix.labels) categories << QString::fromStdString(l);
  std::size_t max_total = 0;
  for (const auto& row : matrix.counts) {
    std::size_t total = 0;
    for (auto n : row) total += n;
    max_total = std::max(max_total, total);
  }
  // One set per tuned class ("to"), one value per original class ("from").
  for (std::size_t j = 0; j < matrix.labels.size(); ++j) {
    const QString to = QString::fromStdString(matrix.labels[j]);
    auto* set = new QBarSet(to);
    set->setColor(categoricalColor(static_cast<int>(j)));
    set->setLabelColor(Qt::white);
    for (std::size_t i = 0; i < matrix.labels.size(); ++i)
      *set << static_cast<qreal>(matrix.counts[i][j]);
    connect(set, &QBarSet::hovered, this, [this, j](bool status, int i) {
      if (!status || i < 0 || static_cast<std::size_t>(i) >= matrix_.labels.size() ||
          j >= matrix_.labels.size()) {
        Q_EMIT transitionHovered({}, {}, 0);
        return;
      }
      const auto row = static_cast<std::size_t>(i);
      const QString from = QString::fromStdString(matrix_.labels[row]);
      const QString to = QString::fromStdString(matrix_.labels[j]);
      const auto count = static_cast<qulonglong>(matrix_.counts[row][j]);
      QToolTip::showText(QCursor::pos(), tr("%1 \u2192 %2: %3 prompts (%4% of %1)")
                                             .arg(from, to)
                                             .arg(count)
                                             .arg(matrix_.row_percent[row][j], 0, 'f', 1));
      Q_EMIT transitionHovered(from, to, count);
    });
    series->append(set);
  }
  series->setLabelsVisible(true);
  series->setLabelsFormat(QStringLiteral("@value"));
  series->setLabelsPosition(QAbstractBarSeries::LabelsCenter);
  c->addSeries(series);

  auto* x = new QBarCategoryAxis;
  x->append(categories);
  x->setTitleText(tr("class in %1").arg(original_name));
  c->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  auto* y = new QValueAxis;
  y->setRange(0, std::max<std::size_t>(1, max_total));
  y->setLabelFormat(QStringLiteral("%d"));
  y->setTickCount(std::min<int>(11, static_cast<int>(std::max<std::size_t>(1, max_total)) + 1));
  y->setTitleText(tr("prompts (segments: class in %1)").arg(tuned_name));
  c->addAxis(y, Qt::AlignLeft);
  series->attachAxis(y);
  c->legend()->setVisible(true);
}

QBarSet* TransitionChartView::barSet(const QString& tuned_label) const {
  for (QAbstractSeries* s : chart()->series())
    if (auto* bars = qobject_cast<QAbstractBarSeries*>(s))
      for (QBarSet* set : bars->barSets())
        if (set->label() == tuned_label) return set;
  return nullptr;
}

bool TransitionChartView::exportImage(const QString& path) {
  return exportWidgetImage(this, path, chart()->title());
}

bool TransitionChartView::exportCsv(const QString& path) const {
  return writeTextFile(path, QString::fromStdString(matrix_.to_csv()));
}

}  // namespace mote::widgets
