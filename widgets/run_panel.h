#pragma once
// A small progress panel for a RunController: progress bar (answered / total), rate, ETA, the
// last answer's label and a Cancel button. Shows the final status when the run ends.
#include <QPointer>
#include <QWidget>

#include "widgets/run_controller.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace mote::widgets {

class RunPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunPanel(QWidget* parent = nullptr);

  // Not owned; follows the controller's signals. nullptr detaches.
  void setController(RunController* controller);
  RunController* controller() const { return controller_; }
  // The run's name as shown in the title.
  void setRunName(const QString& name);

  QProgressBar* progressBar() const { return bar_; }
  QPushButton* cancelButton() const { return cancel_; }
  QString rateText() const;
  QString etaText() const;
  QString statusText() const;

  // "1:02:03", "2:31", "0:05"; "–" for a negative or non-finite value.
  static QString formatDuration(double seconds);

 public Q_SLOTS:
  void onStarted(qint64 run_id, qulonglong done, qulonglong total);
  void onProgress(qint64 run_id, qulonglong done, qulonglong total, double prompts_per_second,
                  double eta_seconds, const QString& last_label);
  void onFinished(qint64 run_id, mote::sessions::RunStatus status, const QString& error);

 private:
  QPointer<RunController> controller_;
  QLabel* title_ = nullptr;
  QProgressBar* bar_ = nullptr;
  QLabel* rate_ = nullptr;
  QLabel* eta_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QString run_name_;
};

}  // namespace mote::widgets
