#pragma once
// Sampling settings shared by both chat panes: temperature, top-p, top-k, max tokens and seed
// (0 = a new random seed per turn, the seed used is then shown in the panes' status).
#include <QWidget>

#include "sessions/engine_client.h"

class QDoubleSpinBox;
class QSpinBox;

namespace mote::workbench {

class SamplingBar : public QWidget {
  Q_OBJECT
 public:
  explicit SamplingBar(QWidget* parent = nullptr);
  sessions::SamplingSettings settings() const;
  void setSettings(const sessions::SamplingSettings& settings);

 Q_SIGNALS:
  void changed();

 private:
  QDoubleSpinBox* temperature_;
  QDoubleSpinBox* top_p_;
  QSpinBox* top_k_;
  QSpinBox* max_tokens_;
  QSpinBox* seed_;
};

}  // namespace mote::workbench
