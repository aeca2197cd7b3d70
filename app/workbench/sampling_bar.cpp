#include "app/workbench/sampling_bar.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>

namespace mote::workbench {

SamplingBar::SamplingBar(QWidget* parent) : QWidget(parent) {
  temperature_ = new QDoubleSpinBox(this);
  temperature_->setObjectName("temperature");
  temperature_->setRange(0.0, 2.0);
  temperature_->setSingleStep(0.1);
  temperature_->setDecimals(2);
  temperature_->setSpecialValueText(tr("greedy"));
  temperature_->setToolTip(tr("Sampling temperature; 0 = greedy decoding"));
  top_p_ = new QDoubleSpinBox(this);
  top_p_->setRange(0.01, 1.0);
  top_p_->setSingleStep(0.05);
  top_p_->setValue(1.0);
  top_k_ = new QSpinBox(this);
  top_k_->setRange(0, 1000);
  top_k_->setSpecialValueText(tr("off"));
  max_tokens_ = new QSpinBox(this);
  max_tokens_->setObjectName("maxTokens");
  max_tokens_->setRange(1, 32768);
  max_tokens_->setValue(256);
  seed_ = new QSpinBox(this);
  seed_->setObjectName("seed");
  seed_->setRange(0, 2147483647);
  seed_->setSpecialValueText(tr("random"));
  seed_->setToolTip(tr("Both panes use this seed; 'random' draws a new one for every turn"));

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto add = [&](const QString& label, QWidget* w) {
    layout->addWidget(new QLabel(label, this));
    layout->addWidget(w);
  };
  add(tr("Temperature"), temperature_);
  add(tr("Top-p"), top_p_);
  add(tr("Top-k"), top_k_);
  add(tr("Max tokens"), max_tokens_);
  add(tr("Seed"), seed_);
  layout->addStretch(1);
  for (auto* box : {temperature_, top_p_})
    connect(box, &QDoubleSpinBox::valueChanged, this, &SamplingBar::changed);
  for (auto* box : {top_k_, max_tokens_, seed_})
    connect(box, &QSpinBox::valueChanged, this, &SamplingBar::changed);
}

sessions::SamplingSettings SamplingBar::settings() const {
  sessions::SamplingSettings s;
  s.temperature = temperature_->value();
  s.top_p = top_p_->value();
  s.top_k = top_k_->value();
  s.max_tokens = max_tokens_->value();
  if (seed_->value() > 0) s.seed = seed_->value();
  return s;
}

void SamplingBar::setSettings(const sessions::SamplingSettings& s) {
  temperature_->setValue(s.temperature);
  top_p_->setValue(s.top_p);
  top_k_->setValue(s.top_k);
  max_tokens_->setValue(s.max_tokens);
  seed_->setValue(s.seed ? static_cast<int>(*s.seed) : 0);
}

}  // namespace mote::workbench
