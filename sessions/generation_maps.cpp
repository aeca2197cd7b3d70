// maps_from_routing (declared in engine_types.h): a generation's routing rows -> activation maps.
#include "protocol/expert_counting.h"
#include "sessions/engine_types.h"
#include "sessions/session_error.h"

namespace mote::sessions {

GenerationMaps maps_from_routing(const std::vector<RoutingRow>& rows, const ModelGeometry& geometry,
                                 const TuningSpec& tuning) {
  const std::size_t n_moe = geometry.n_moe_layers();
  const auto top_k = static_cast<std::size_t>(geometry.top_k);
  const std::size_t row_size = n_moe * top_k;
  std::size_t with_weights = 0;
  for (const auto& row : rows) {
    if (row.ids.size() != row_size) {
      throw SessionError("routing row at position " + std::to_string(row.position) + " has " +
                         std::to_string(row.ids.size()) +
                         " ids, expected MoE layers x top-k = " + std::to_string(row_size));
    }
    if (!row.weights.empty()) {
      if (row.weights.size() != row_size) {
        throw SessionError("routing row at position " + std::to_string(row.position) + " has " +
                           std::to_string(row.weights.size()) + " weights for " +
                           std::to_string(row_size) + " ids");
      }
      ++with_weights;
    }
  }
  if (with_weights != 0 && with_weights != rows.size())
    throw SessionError("routing rows: some rows carry weights and others do not");
  const bool has_weights = !rows.empty() && with_weights == rows.size();

  const ExpertCountingRule rule(geometry, tuning);

  // The counts are activation_map_from_routing's weighted sums of a 1/0 "selected with non-zero
  // weight" indicator (protocol/expert_counting.h).
  RoutingRecord record;
  record.n_tokens = rows.size();
  record.n_moe_layers = n_moe;
  record.top_k = top_k;
  record.ids.reserve(rows.size() * row_size);
  record.weights.reserve(rows.size() * row_size);
  record.is_prompt.reserve(rows.size());
  for (const auto& row : rows) {
    record.is_prompt.push_back(row.is_prompt ? 1 : 0);
    for (std::size_t i = 0; i < row_size; ++i) {
      record.ids.push_back(row.ids[i]);
      const bool counted =
          rule.counts(i / top_k, row.ids[i], has_weights ? &row.weights[i] : nullptr);
      record.weights.push_back(counted ? 1.0f : 0.0f);
    }
  }
  GenerationMaps maps;
  maps.has_weights = has_weights;
  maps.prompt_counts =
      activation_map_from_routing(record, geometry, TokenSelection::kPrompt, /*weighted=*/true);
  maps.completion_counts =
      activation_map_from_routing(record, geometry, TokenSelection::kCompletion, true);
  if (has_weights) {
    record.weights.clear();
    for (const auto& row : rows)
      record.weights.insert(record.weights.end(), row.weights.begin(), row.weights.end());
    maps.prompt_weighted =
        activation_map_from_routing(record, geometry, TokenSelection::kPrompt, true);
  } else {
    maps.prompt_weighted = ActivationMap::zeros(geometry);
  }
  return maps;
}

}  // namespace mote::sessions
