#pragma once
// The random control: a histogram of the flip rates of K random expert sets, with the tuned
// set's flip rate marked (vertical line) inside its Wilson 95 % interval (a band), and the
// empirical p and the Fisher p in the title.
#include <QChartView>
#include <vector>

#include "sessions/evaluation.h"

class QAreaSeries;
class QLineSeries;
class QScatterSeries;

namespace mote::widgets {

class RandomControlChartView : public QChartView {
  Q_OBJECT

 public:
  explicit RandomControlChartView(QWidget* parent = nullptr);

  // `label` is the class whose flip rate is shown (title).
  void setSummary(const sessions::RandomControlSummary& summary, const QString& label = {});
  const sessions::RandomControlSummary& summary() const { return summary_; }
  // Counts of `values` in `bins` equal bins over [low, high] (the last bin includes high;
  // values outside are ignored). Exposed for tests.
  static std::vector<int> histogram(const std::vector<double>& values, double low, double high,
                                    int bins);
  // Square-root rule, clamped to 5..40 bins.
  static int binCount(std::size_t n_values);
  // The marker of the tuned result (a vertical line at x = tuned flip rate in %).
  QLineSeries* tunedMarker() const { return tuned_line_; }
  // The tuned rate's Wilson 95 % interval, a band from low to high (in %); null for results
  // stored without counts.
  QAreaSeries* tunedInterval() const { return tuned_band_; }

  bool exportImage(const QString& path);
  // "draw,flip_rate" rows, then rows for the tuned rate, its interval, p and the Fisher p.
  bool exportCsv(const QString& path) const;

 private:
  sessions::RandomControlSummary summary_;
  QLineSeries* tuned_line_ = nullptr;
  QAreaSeries* tuned_band_ = nullptr;
};

}  // namespace mote::widgets
