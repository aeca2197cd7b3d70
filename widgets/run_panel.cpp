#include "widgets/run_panel.h"

#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <cmath>

namespace mote::widgets {

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel(tr("No run executing"), this);
  bar_ = new QProgressBar(this);
  bar_->setRange(0, 1);
  bar_->setValue(0);
  bar_->setFormat(tr("%v / %m prompts"));
  rate_ = new QLabel(this);
  eta_ = new QLabel(this);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setEnabled(false);
  cancel_->setToolTip(tr("Stop after the prompt in flight; starting the run again resumes it"));
  auto* layout = new QGridLayout(this);
  layout->addWidget(title_, 0, 0, 1, 3);
  layout->addWidget(bar_, 1, 0, 1, 2);
  layout->addWidget(cancel_, 1, 2);
  layout->addWidget(rate_, 2, 0);
  layout->addWidget(eta_, 2, 1);
  layout->addWidget(status_, 3, 0, 1, 3);
  layout->setColumnStretch(0, 1);
  layout->setColumnStretch(1, 1);
}

void RunPanel::setController(RunController* controller) {
  if (controller_) disconnect(controller_, nullptr, this, nullptr);
  controller_ = controller;
  if (!controller_) {
    cancel_->setEnabled(false);
    return;
  }
  connect(controller_, &RunController::started, this, &RunPanel::onStarted);
  connect(controller_, &RunController::progress, this, &RunPanel::onProgress);
  connect(controller_, &RunController::finished, this, &RunPanel::onFinished);
  connect(cancel_, &QPushButton::clicked, controller_, &RunController::cancel,
          Qt::UniqueConnection);
  connect(cancel_, &QPushButton::clicked, this, [this] {
    cancel_->setEnabled(false);
    status_->setText(tr("Cancelling after the prompt in flight …"));
  });
  cancel_->setEnabled(controller_->isRunning());
}

void RunPanel::setRunName(const QString& name) {
  run_name_ = name;
  title_->setText(name);
}

QString RunPanel::formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("\u2013");
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0)
    return QStringLiteral("%1:%2:%3")
        .arg(h)
        .arg(m, 2, 10, QLatin1Char('0'))
        .arg(s, 2, 10, QLatin1Char('0'));
  return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

QString RunPanel::rateText() const {
  return rate_->text();
}
QString RunPanel::etaText() const {
  return eta_->text();
}
QString RunPanel::statusText() const {
  return status_->text();
}

void RunPanel::onStarted(qint64 run_id, qulonglong done, qulonglong total) {
  if (run_name_.isEmpty()) title_->setText(tr("Run %1").arg(run_id));
  bar_->setRange(0, static_cast<int>(std::max<qulonglong>(1, total)));
  bar_->setValue(static_cast<int>(done));
  rate_->setText(tr("rate: \u2013"));
  eta_->setText(tr("ETA: \u2013"));
  status_->setText(done > 0 ? tr("Resuming after %1 answered prompts").arg(done) : tr("Running"));
  cancel_->setEnabled(true);
}

void RunPanel::onProgress(qint64, qulonglong done, qulonglong total, double prompts_per_second,
                          double eta_seconds, const QString& last_label) {
  bar_->setRange(0, static_cast<int>(std::max<qulonglong>(1, total)));
  bar_->setValue(static_cast<int>(done));
  rate_->setText(
      prompts_per_second >= 1.0
          ? tr("rate: %1 prompts/s").arg(prompts_per_second, 0, 'f', 1)
          : tr("rate: %1 s/prompt")
                .arg(prompts_per_second > 0 ? 1.0 / prompts_per_second : 0.0, 0, 'f', 1));
  eta_->setText(tr("ETA: %1").arg(formatDuration(eta_seconds)));
  if (!last_label.isEmpty()) status_->setText(tr("Last answer: %1").arg(last_label));
}

void RunPanel::onFinished(qint64, sessions::RunStatus status, const QString& error) {
  cancel_->setEnabled(false);
  switch (status) {
    case sessions::RunStatus::kFinished:
      status_->setText(tr("Finished"));
      eta_->setText(tr("ETA: 0:00"));
      break;
    case sessions::RunStatus::kCancelled:
      status_->setText(tr("Cancelled: %1 of %2 prompts answered; start again to resume")
                           .arg(bar_->value())
                           .arg(bar_->maximum()));
      break;
    default:
      status_->setText(tr("Failed: %1").arg(error));
      break;
  }
}

}  // namespace mote::widgets
