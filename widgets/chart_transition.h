#pragma once
// Class transitions original -> tuned as a stacked bar chart: one bar per original class, split
// into the classes its prompts have after tuning, each segment labelled with its count.
#include <QChartView>

#include "sessions/evaluation.h"

class QBarSet;

namespace mote::widgets {

class TransitionChartView : public QChartView {
  Q_OBJECT

 public:
  explicit TransitionChartView(QWidget* parent = nullptr);

  // `original_name` / `tuned_name` title the axes (e.g. run names).
  void setTransitions(const sessions::TransitionMatrix& matrix,
                      const QString& original_name = tr("original"),
                      const QString& tuned_name = tr("tuned"));
  const sessions::TransitionMatrix& transitions() const { return matrix_; }
  // The bar set of a tuned class (nullptr if absent), e.g. for tests and legends.
  QBarSet* barSet(const QString& tuned_label) const;

  bool exportPng(const QString& path) { return exportImage(path); }
  bool exportSvg(const QString& path) { return exportImage(path); }
  bool exportImage(const QString& path);
  // TransitionMatrix::to_csv (counts, then row percentages).
  bool exportCsv(const QString& path) const;

 Q_SIGNALS:
  // The mouse is over the segment "from -> to" (count prompts); `from` empty when it left.
  void transitionHovered(const QString& from, const QString& to, qulonglong count);

 private:
  sessions::TransitionMatrix matrix_;
};

}  // namespace mote::widgets
