#pragma once
// The dose curve: flip rate against the number of top-ranked experts tuned (log x axis when the
// doses span a decade or more), with the random control's mean as an optional dashed baseline.
#include <QChartView>
#include <optional>

#include "sessions/evaluation.h"

class QLineSeries;
class QScatterSeries;

namespace mote::widgets {

class DoseCurveChartView : public QChartView {
  Q_OBJECT

 public:
  explicit DoseCurveChartView(QWidget* parent = nullptr);

  // Doses without a result yet (NaN) are left out; `label` is the class whose flips are shown.
  void setCurve(const sessions::DoseCurve& curve, const QString& label = {},
                std::optional<double> random_baseline = std::nullopt);
  const sessions::DoseCurve& curve() const { return curve_; }
  QLineSeries* curveSeries() const { return line_; }
  QScatterSeries* pointSeries() const { return points_; }

  bool exportImage(const QString& path);
  // "n_experts,flip_rate" (empty flip rate for doses not run yet).
  bool exportCsv(const QString& path) const;

 Q_SIGNALS:
  // A click on the point of a dose (e.g. to open that tuned run).
  void doseActivated(qulonglong n_experts);

 private:
  sessions::DoseCurve curve_;
  QLineSeries* line_ = nullptr;
  QScatterSeries* points_ = nullptr;
};

}  // namespace mote::widgets
