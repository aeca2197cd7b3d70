#pragma once
// The one rule for which selected expert counts as activated by a token, used by the engine's
// scan counts, sessions' activation maps and the workbench's live heatmap alike.
//
// A tuned router keeps a suppressed expert in its top-k slot with weight 0 (ids unchanged), so a
// slot counts when its final router weight is non-zero. When only ids were captured, a slot
// counts unless its expert is suppressed in that MoE layer. Both give the same answer: router
// scores are positive (sigmoid or softmax), so only suppression makes a selected weight 0.
#include <cstddef>
#include <set>
#include <utility>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

namespace mote {

class ExpertCountingRule {
 public:
  ExpertCountingRule() = default;
  // TuningError when `tuning` does not validate against `geometry`.
  ExpertCountingRule(const ModelGeometry& geometry, const TuningSpec& tuning);

  // Whether slot `expert` of MoE layer `moe_index` counts for its token. `weight`: the captured
  // final router weight, or null when only ids were captured.
  bool counts(std::size_t moe_index, int expert, const float* weight) const {
    if (weight) return counts_weight(*weight);
    return suppressed_.count({moe_index, expert}) == 0;
  }
  // The rule on a captured weight (the engine applies it to whole tensors: weights != 0).
  static bool counts_weight(float weight) { return weight != 0.0f; }

 private:
  std::set<std::pair<std::size_t, int>> suppressed_;  // (moe_index, expert)
};

}  // namespace mote
