#include "engine/tuning.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

std::vector<ExpertAddress> parse_list(const nlohmann::json& j, const char* key) {
  std::vector<ExpertAddress> out;
  if (!j.is_array()) throw TuningError(std::string("tuning: '") + key + "' must be an array");
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& pair = j[i];
    auto bad = [&](const std::string& why) {
      return TuningError(std::string("tuning: ") + key + "[" + std::to_string(i) + "] " + why);
    };
    if (!pair.is_array() || pair.size() != 2) throw bad("must be [layer, expert]");
    for (const auto& v : pair) {
      if (!v.is_number_integer()) throw bad("must hold two integers");
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        throw bad("is out of range");
    }
    out.push_back({pair[0].get<int64_t>(), pair[1].get<int64_t>()});
  }
  return out;
}

std::string address_string(const ExpertAddress& a) {
  return "(layer " + std::to_string(a.layer) + ", expert " + std::to_string(a.expert) + ")";
}

}  // namespace

TuningSpec TuningSpec::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw TuningError("tuning: must be a JSON object");
  TuningSpec spec;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "suppress")
      spec.suppress = parse_list(it.value(), "suppress");
    else if (it.key() == "stimulate")
      spec.stimulate = parse_list(it.value(), "stimulate");
    else
      throw TuningError("tuning: unknown key '" + it.key() + "' (expected suppress, stimulate)");
  }
  return spec;
}

TuningSpec TuningSpec::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw TuningError("cannot open tuning file " + path);
  try {
    return from_json(nlohmann::json::parse(in));
  } catch (const nlohmann::json::exception& e) {
    throw TuningError(path + ": invalid JSON: " + e.what());
  } catch (const TuningError& e) {
    throw TuningError(path + ": " + e.what());
  }
}

nlohmann::json TuningSpec::to_json() const {
  auto list = [](const std::vector<ExpertAddress>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : v) a.push_back({x.layer, x.expert});
    return a;
  };
  return {{"suppress", list(suppress)}, {"stimulate", list(stimulate)}};
}

CompiledTuning::CompiledTuning(const TuningSpec& spec, const ModelConfig& config) {
  if (spec.empty()) return;
  const int64_t n_moe = static_cast<int64_t>(config.moe_layers().size());
  layers_.resize(n_moe);
  std::set<ExpertAddress> suppressed;
  auto check = [&](const ExpertAddress& a, const char* list) {
    if (config.moe_layer_index(a.layer) < 0) {
      auto moe = config.moe_layers();
      std::string range =
          moe.empty() ? "none" : std::to_string(moe.front()) + ".." + std::to_string(moe.back());
      throw TuningError(std::string("tuning: ") + list + " " + address_string(a) +
                        ": layer is not a MoE layer of this model (MoE layers: " + range + ")");
    }
    if (a.expert < 0 || a.expert >= config.n_routed_experts)
      throw TuningError(std::string("tuning: ") + list + " " + address_string(a) +
                        ": expert out of range 0.." + std::to_string(config.n_routed_experts - 1));
  };
  for (const auto& a : spec.suppress) {
    check(a, "suppress");
    if (!suppressed.insert(a).second) continue;  // duplicates are harmless
    layers_[config.moe_layer_index(a.layer)].suppress.push_back(a.expert);
  }
  std::set<ExpertAddress> stimulated;
  for (const auto& a : spec.stimulate) {
    check(a, "stimulate");
    if (suppressed.count(a))
      throw TuningError("tuning: " + address_string(a) + " is both suppressed and stimulated");
    if (!stimulated.insert(a).second) continue;
    auto& layer = layers_[config.moe_layer_index(a.layer)];
    layer.stimulate.push_back(a.expert);
    if (static_cast<int64_t>(layer.stimulate.size()) > config.num_experts_per_tok)
      throw TuningError("tuning: layer " + std::to_string(a.layer) +
                        " stimulates more experts than its top-" +
                        std::to_string(config.num_experts_per_tok));
  }
  for (auto& layer : layers_) {
    if (layer.suppress.empty()) continue;
    layer.suppress_mask = at::zeros({config.n_routed_experts}, at::kBool);
    for (int64_t e : layer.suppress) layer.suppress_mask[e] = true;
  }
}

bool CompiledTuning::touches(int64_t moe_index) const {
  if (moe_index < 0 || moe_index >= static_cast<int64_t>(layers_.size())) return false;
  const auto& l = layers_[moe_index];
  return !l.suppress.empty() || !l.stimulate.empty();
}

std::pair<at::Tensor, at::Tensor> CompiledTuning::apply(int64_t moe_index, const at::Tensor& ids,
                                                        const at::Tensor& weights) const {
  if (!touches(moe_index)) return {ids, weights};
  const LayerTuning& layer = layers_[moe_index];
  at::Tensor S = weights.sum(-1, /*keepdim=*/true);               // [N, 1]
  at::Tensor M = std::get<0>(weights.max(-1, /*keepdim=*/true));  // [N, 1]
  at::Tensor new_ids = ids.clone();
  at::Tensor w = weights.clone();
  if (!layer.stimulate.empty()) {
    // Slots already holding a stimulated expert must not be taken by the next one.
    at::Tensor taken = at::zeros_like(ids, at::kBool);
    for (int64_t e : layer.stimulate) {
      at::Tensor hit = new_ids.eq(e);                       // [N, k]
      at::Tensor selected = hit.any(-1, /*keepdim=*/true);  // [N, 1]
      // First slot of smallest (current) weight among those not taken.
      at::Tensor candidates = w.masked_fill(taken, std::numeric_limits<float>::infinity());
      at::Tensor slot = std::get<1>(candidates.min(-1, /*keepdim=*/true));  // [N, 1]
      at::Tensor replace = at::zeros_like(hit).scatter_(1, slot, true);
      at::Tensor target = at::where(selected, hit, replace);  // [N, k]
      new_ids.masked_fill_(target, e);
      w = at::where(target, M.expand_as(w), w);
      taken |= target;
    }
  }
  if (!layer.suppress.empty()) {
    at::Tensor mask = layer.suppress_mask.to(ids.device()).index({new_ids});  // [N, k]
    w = w.masked_fill(mask, 0.0f);
  }
  at::Tensor R = w.sum(-1, /*keepdim=*/true);
  w = at::where(R > 0, w * (S / R), at::zeros_like(w));
  return {new_ids, w};
}

}  // namespace mote
