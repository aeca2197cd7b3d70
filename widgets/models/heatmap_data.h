#pragma once
// What a heatmap shows: one [n_moe_layers x n_experts] map (counts, weights or a difference)
// plus, optionally, a matching map of router-weight sums, and the labels that go with it.
#include <QMetaType>
#include <QString>
#include <optional>

#include "protocol/activation_map.h"
#include "protocol/model_geometry.h"
#include "widgets/models/tuning_document.h"

namespace mote::widgets {

// The four live views. The view only shows the label; the accumulator
// (heatmap_source.h) builds the maps.
enum class HeatmapMode {
  kToken,       // routing of the generated token under the cursor
  kPrompt,      // counts over the prompt tokens
  kAnswer,      // counts over the generated tokens
  kDifference,  // tuned minus original (diverging colour map)
};

// "Token", "Prompt", "Answer", "Tuned − original".
QString heatmapModeName(HeatmapMode mode);

struct HeatmapData {
  mote::ActivationMap values;   // rows = MoE layers, cols = experts
  mote::ActivationMap weights;  // router-weight sums in the same shape, or empty (size 0)
  HeatmapMode mode = HeatmapMode::kPrompt;
  QString label;                                // title, e.g. "Answer aggregate · 40 tokens"
  QString valueName = QStringLiteral("count");  // hover/colour-bar wording
  bool diverging = false;  // symmetric range around 0, drawn with the diverging colour map

  bool hasWeights() const { return weights.size() == values.size() && values.size() > 0; }
};

// What the cursor is over (heatmap hover signal and tooltip).
struct HeatmapCellInfo {
  bool valid = false;
  mote::ExpertAddress address;   // model layer index + expert
  int moeLayer = -1;             // 0-based index among MoE layers (= heatmap row)
  double value = 0.0;            // the shown map's value (a count in count modes)
  std::optional<double> weight;  // router-weight sum, if the data has one
  ExpertState state = ExpertState::kNone;
  QString valueName = QStringLiteral("count");

  // "layer 12 (moe_layer 9) · expert 200\ncount 5 · weight 0.731 · suppressed"
  QString toolTip() const;
};

}  // namespace mote::widgets

Q_DECLARE_METATYPE(mote::widgets::HeatmapData)
Q_DECLARE_METATYPE(mote::widgets::HeatmapCellInfo)
Q_DECLARE_METATYPE(mote::widgets::HeatmapMode)
