#include "widgets/tsne_scatter.h"

#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "sessions/result_export.h"
#include "sessions/session_store.h"
#include "widgets/chart_export.h"
#include "widgets/chart_palette.h"
#include "widgets/models/session_task.h"

namespace mote::widgets {
namespace {

QString displayLabel(const std::string& label) {
  return label.empty() ? TsneScatterView::tr("(unlabelled)") : QString::fromStdString(label);
}

}  // namespace

TsneScatterView::TsneScatterView(QWidget* parent)
    : QChartView(parent), task_(new SessionTask(this)) {
  setRenderHint(QPainter::Antialiasing);
  chart()->setTitle(tr("t-SNE of activation maps"));
  chart()->legend()->setAlignment(Qt::AlignRight);
  setMinimumSize(320, 160);
  setMouseTracking(true);
}

// The task waits for running computations; their results are no longer delivered.
TsneScatterView::~TsneScatterView() {
  delete task_;
}

void TsneScatterView::setEmbedding(const TsneEmbedding& embedding) {
  const std::size_t n = embedding.prompt_ids.size();
  if (embedding.coords.size() != 2 * n || embedding.labels.size() != n ||
      (!embedding.texts.isEmpty() && static_cast<std::size_t>(embedding.texts.size()) != n))
    throw std::invalid_argument(
        "t-SNE embedding: coordinates, labels, prompt ids and texts "
        "must describe the same points");
  embedding_ = embedding;
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* axis : c->axes()) {
    c->removeAxis(axis);
    delete axis;
  }
  series_.clear();
  highlight_ = nullptr;

  // Classes in sorted order, unlabelled last; stable colours by that order.
  std::map<std::string, std::vector<int>> by_label;
  for (std::size_t i = 0; i < n; ++i) by_label[embedding.labels[i]].push_back(static_cast<int>(i));
  std::vector<std::string> order;
  for (const auto& [label, _] : by_label)
    if (!label.empty()) order.push_back(label);
  if (by_label.count("")) order.push_back("");

  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (std::size_t i = 0; i < n; ++i) {
    x0 = std::min(x0, static_cast<double>(embedding.coords[2 * i]));
    x1 = std::max(x1, static_cast<double>(embedding.coords[2 * i]));
    y0 = std::min(y0, static_cast<double>(embedding.coords[2 * i + 1]));
    y1 = std::max(y1, static_cast<double>(embedding.coords[2 * i + 1]));
  }
  if (n == 0) x0 = y0 = -1.0, x1 = y1 = 1.0;
  const double mx = std::max(1e-6, 0.06 * (x1 - x0)), my = std::max(1e-6, 0.06 * (y1 - y0));
  auto* x = new QValueAxis;
  x->setRange(x0 - mx, x1 + mx);
  x->setLabelsVisible(false);  // t-SNE coordinates have no units
  auto* y = new QValueAxis;
  y->setRange(y0 - my, y1 + my);
  y->setLabelsVisible(false);
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);

  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& points = by_label[order[k]];
    auto* series = new QScatterSeries;
    series->setName(QStringLiteral("%1 (%2)").arg(displayLabel(order[k])).arg(points.size()));
    series->setMarkerShape(QScatterSeries::MarkerShapeCircle);
    series->setMarkerSize(9.0);
    series->setColor(order[k].empty() ? QColor(160, 160, 160)
                                      : categoricalColor(static_cast<int>(k)));
    series->setBorderColor(QColor(255, 255, 255, 180));
    for (int i : points)
      series->append(embedding.coords[2 * static_cast<std::size_t>(i)],
                     embedding.coords[2 * static_cast<std::size_t>(i) + 1]);
    c->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
    series_.push_back({series, points});
    const std::size_t s = series_.size() - 1;
    connect(series, &QScatterSeries::clicked, this, [this, s](const QPointF& value) {
      if (const auto i = indexOf(series_[s], value))
        Q_EMIT promptActivated(embedding_.prompt_ids[static_cast<std::size_t>(*i)]);
    });
    connect(series, &QScatterSeries::hovered, this, [this, s](const QPointF& value, bool state) {
      if (!state) {
        QToolTip::hideText();
        Q_EMIT promptHovered(-1);
        return;
      }
      const auto i = indexOf(series_[s], value);
      if (!i) return;
      const auto idx = static_cast<std::size_t>(*i);
      QString tip = tr("prompt %1 · %2")
                        .arg(embedding_.prompt_ids[idx])
                        .arg(displayLabel(embedding_.labels[idx]));
      if (!embedding_.texts.isEmpty()) tip += QLatin1Char('\n') + embedding_.texts.at(*i);
      QToolTip::showText(QCursor::pos(), tip, this);
      Q_EMIT promptHovered(embedding_.prompt_ids[idx]);
    });
  }
  // Highlight ring on top (not in the legend).
  highlight_ = new QScatterSeries;
  highlight_->setMarkerShape(QScatterSeries::MarkerShapeCircle);
  highlight_->setMarkerSize(18.0);
  highlight_->setColor(Qt::transparent);
  highlight_->setBorderColor(Qt::black);
  c->addSeries(highlight_);
  highlight_->attachAxis(x);
  highlight_->attachAxis(y);
  for (QLegendMarker* m : c->legend()->markers(highlight_)) m->setVisible(false);
}

std::optional<int> TsneScatterView::indexOf(const SeriesPoints& s, const QPointF& value) const {
  // The clicked point's value; the nearest point of the series (exact for a marker click).
  std::optional<int> best;
  double best_d = std::numeric_limits<double>::infinity();
  const auto points = s.series->points();
  for (int k = 0; k < points.size(); ++k) {
    const QPointF d = points.at(k) - value;
    const double dist = d.x() * d.x() + d.y() * d.y();
    if (dist < best_d) {
      best_d = dist;
      best = s.points[static_cast<std::size_t>(k)];
    }
  }
  return best;
}

QScatterSeries* TsneScatterView::seriesOf(const QString& label) const {
  for (const auto& s : series_)
    if (s.series->name().startsWith(label + QStringLiteral(" ("))) return s.series;
  return nullptr;
}

std::optional<QPointF> TsneScatterView::viewportPosOfPrompt(std::int64_t prompt_id) const {
  for (const auto& s : series_)
    for (std::size_t k = 0; k < s.points.size(); ++k) {
      const auto i = static_cast<std::size_t>(s.points[k]);
      if (embedding_.prompt_ids[i] != prompt_id) continue;
      const QPointF scene = chart()->mapToPosition(
          QPointF(embedding_.coords[2 * i], embedding_.coords[2 * i + 1]), s.series);
      return QPointF(mapFromScene(chart()->mapToScene(scene)));
    }
  return std::nullopt;
}

void TsneScatterView::highlightPrompt(qint64 prompt_id) {
  if (!highlight_) return;
  highlight_->clear();
  for (std::size_t i = 0; i < embedding_.prompt_ids.size(); ++i)
    if (embedding_.prompt_ids[i] == prompt_id)
      highlight_->append(embedding_.coords[2 * i], embedding_.coords[2 * i + 1]);
}

void TsneScatterView::computeFromSession(const QString& session_path, std::int64_t run_id,
                                         const QString& classifier,
                                         const sessions::TsneOptions& options) {
  const std::string classifier_name = classifier.toStdString();
  task_->start(
      session_path,
      [run_id, classifier_name, options](sessions::SessionStore& store) {
        const auto tsne = sessions::analyze_tsne(store, run_id, classifier_name, options);
        TsneEmbedding e;
        e.coords = tsne.coords;
        e.labels = tsne.labels;
        e.prompt_ids = tsne.prompt_ids;
        e.result_id = tsne.result_id;
        std::map<std::int64_t, QString> texts;
        for (const auto& p : store.prompts(store.run(run_id).config.dataset_id))
          texts.emplace(p.id, QString::fromStdString(p.prompt.text));
        for (const auto id : e.prompt_ids) e.texts << texts[id];
        return e;
      },
      [this](const TsneEmbedding& embedding) {
        setEmbedding(embedding);
        Q_EMIT computed();
      },
      [this](const QString& message) { Q_EMIT failed(message); });
}

bool TsneScatterView::isComputing() const {
  return task_->isBusy();
}

bool TsneScatterView::exportImage(const QString& path) {
  return exportWidgetImage(this, path, chart()->title());
}

bool TsneScatterView::exportCsv(const QString& path) const {
  std::vector<std::string> ids, texts;
  for (std::size_t i = 0; i < embedding_.prompt_ids.size(); ++i) {
    ids.push_back(std::to_string(embedding_.prompt_ids[i]));
    texts.push_back(embedding_.texts.isEmpty()
                        ? std::string()
                        : embedding_.texts.at(static_cast<int>(i)).toStdString());
  }
  return writeTextFile(
      path, QString::fromStdString(sessions::tsne_csv(embedding_.coords, embedding_.labels,
                                                      {"prompt_id", "prompt"}, {ids, texts})));
}

}  // namespace mote::widgets
