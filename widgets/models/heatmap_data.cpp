#include "widgets/models/heatmap_data.h"

namespace mote::widgets {

QString heatmapModeName(HeatmapMode mode) {
  switch (mode) {
    case HeatmapMode::kToken:
      return QStringLiteral("Token");
    case HeatmapMode::kPrompt:
      return QStringLiteral("Prompt");
    case HeatmapMode::kAnswer:
      return QStringLiteral("Answer");
    case HeatmapMode::kDifference:
      return QStringLiteral("Tuned \u2212 original");
  }
  return {};
}

QString HeatmapCellInfo::toolTip() const {
  if (!valid) return {};
  QString text = QStringLiteral("layer %1 (moe_layer %2) \u00b7 expert %3\n%4 %5")
                     .arg(address.layer)
                     .arg(moeLayer)
                     .arg(address.expert)
                     .arg(valueName)
                     .arg(QString::number(value, 'g', 6));
  if (weight) text += QStringLiteral(" \u00b7 weight %1").arg(QString::number(*weight, 'g', 5));
  if (state != ExpertState::kNone) text += QStringLiteral(" \u00b7 ") + expertStateName(state);
  return text;
}

}  // namespace mote::widgets
