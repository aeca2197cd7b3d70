#include "app/workbench/status_indicators.h"

#include <QLabel>
#include <QPushButton>
#include <QStatusBar>

#include "widgets/models/tuning_document.h"

namespace mote::workbench {

StatusIndicators::StatusIndicators(QStatusBar* bar, EngineConnection* connection,
                                   widgets::TuningDocument* tuning)
    : QObject(bar), connection_(connection), tuning_(tuning) {
  model_ = new QLabel(tr("no model"), bar);
  model_->setObjectName("modelStatus");
  engine_ = new QLabel(tr("disconnected"), bar);
  engine_->setObjectName("engineStatus");
  tuning_label_ = new QLabel(bar);
  problem_ = new QLabel(bar);
  problem_->setStyleSheet("color: #b00020");
  reconnect_ = new QPushButton(tr("Reconnect"), bar);
  reconnect_->setVisible(false);
  bar->addPermanentWidget(problem_, 1);
  bar->addPermanentWidget(reconnect_);
  bar->addPermanentWidget(tuning_label_);
  bar->addPermanentWidget(model_);
  bar->addPermanentWidget(engine_);

  connect(reconnect_, &QPushButton::clicked, connection_, &EngineConnection::reconnect);
  connect(connection_, &EngineConnection::stateChanged, this, &StatusIndicators::onStateChanged);
  connect(connection_, &EngineConnection::connected, this, &StatusIndicators::onConnected);
  connect(connection_, &EngineConnection::errorOccurred, this, [this](const QString& message) {
    showProblem(message.section('\n', 0, 0), message);
    reconnect_->setVisible(true);
  });
  connect(tuning_, &widgets::TuningDocument::changed, this, &StatusIndicators::updateTuning);
  updateTuning();
}

void StatusIndicators::showProblem(const QString& text, const QString& details) {
  problem_->setText(text);
  problem_->setToolTip(details);
}

void StatusIndicators::clearProblem() {
  problem_->clear();
}

void StatusIndicators::onStateChanged(EngineConnection::State state) {
  static const char* names[] = {"disconnected", "starting…", "connected", "failed", "lost"};
  engine_->setText(tr("engine: %1").arg(tr(names[static_cast<int>(state)])));
  engine_->setToolTip(connection_->target().describe());
  reconnect_->setVisible(state == EngineConnection::State::kFailed ||
                         state == EngineConnection::State::kLost);
}

void StatusIndicators::onConnected(const mote::ModelInfo& model) {
  clearProblem();
  const auto& g = model.geometry;
  model_->setText(tr("%1 · %2 × %3 (top-%4)")
                      .arg(QString::fromStdString(model.id))
                      .arg(g.n_moe_layers())
                      .arg(g.n_experts)
                      .arg(g.top_k));
}

void StatusIndicators::updateTuning() {
  tuning_label_->setText(tr("tuning: %1 suppressed · %2 stimulated")
                             .arg(tuning_->suppressedCount())
                             .arg(tuning_->stimulatedCount()));
}

}  // namespace mote::workbench
