#include "protocol/expert_counting.h"

namespace mote {

ExpertCountingRule::ExpertCountingRule(const ModelGeometry& geometry, const TuningSpec& tuning) {
  if (tuning.suppress.empty()) return;
  tuning.validate(geometry);
  for (const auto& a : tuning.suppress)
    suppressed_.insert({static_cast<std::size_t>(geometry.moe_index(a.layer)), a.expert});
}

}  // namespace mote
