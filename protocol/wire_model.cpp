#include "protocol/wire_model.h"

#include <limits>

#include "protocol/wire_error.h"

namespace mote {
namespace {

using json = nlohmann::json;

const json& member(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw WireError(std::string("GET /mote/v1/model has no \"") + key + "\"");
  return *it;
}

int small_int(const json& j, const char* key) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < 0 ||
      j.get<std::int64_t>() > std::numeric_limits<int>::max())
    throw WireError(std::string("GET /mote/v1/model ") + key + " is not a small integer");
  return j.get<int>();
}

template <typename T>
void optional_field(const json& j, const char* key, T& out) {
  if (const auto it = j.find(key); it != j.end() && !it->is_null()) {
    try {
      out = it->get<T>();
    } catch (const json::exception&) {
      throw WireError(std::string("GET /mote/v1/model ") + key + " has the wrong type");
    }
  }
}

}  // namespace

json ModelInfo::to_json() const {
  json out = {
      {"id", id},
      {"object", "mote.model"},
      {"model_type", model_type},
      {"layers", n_layers},
      {"moe_layers", geometry.moe_layers},
      {"n_routed_experts", geometry.n_experts},
      {"experts_per_layer", geometry.n_experts},
      {"top_k", geometry.top_k},
      {"n_shared_experts", n_shared_experts},
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"max_position_embeddings", max_position_embeddings},
      {"checkpoint_dtype", checkpoint_dtype},
      {"dtype", dtype},
      {"devices", devices},
      {"device_map", device_map},
      {"chat_template", chat_template ? json(*chat_template) : json(nullptr)},
      {"generation_defaults", generation_defaults},
  };
  if (!limits.is_null()) out["limits"] = limits;
  return out;
}

ModelInfo ModelInfo::from_json(const json& j) {
  if (!j.is_object()) throw WireError("GET /mote/v1/model is not a JSON object");
  ModelInfo info;
  const json& id = member(j, "id");
  if (!id.is_string()) throw WireError("GET /mote/v1/model id is not a string");
  info.id = id.get<std::string>();
  info.n_layers = small_int(member(j, "layers"), "layers");
  const json& layers = member(j, "moe_layers");
  if (!layers.is_array()) throw WireError("GET /mote/v1/model moe_layers is not a list");
  for (const auto& l : layers) info.geometry.moe_layers.push_back(small_int(l, "moe_layers entry"));
  info.geometry.n_experts = small_int(member(j, "experts_per_layer"), "experts_per_layer");
  info.geometry.top_k = small_int(member(j, "top_k"), "top_k");
  try {
    info.geometry.validate();
  } catch (const GeometryError& e) {
    throw WireError(std::string("GET /mote/v1/model: ") + e.what());
  }
  optional_field(j, "model_type", info.model_type);
  optional_field(j, "n_shared_experts", info.n_shared_experts);
  optional_field(j, "vocab_size", info.vocab_size);
  optional_field(j, "hidden_size", info.hidden_size);
  optional_field(j, "max_position_embeddings", info.max_position_embeddings);
  optional_field(j, "checkpoint_dtype", info.checkpoint_dtype);
  optional_field(j, "dtype", info.dtype);
  optional_field(j, "devices", info.devices);
  if (const auto it = j.find("chat_template"); it != j.end() && it->is_string())
    info.chat_template = it->get<std::string>();
  if (const auto it = j.find("device_map"); it != j.end()) info.device_map = *it;
  if (const auto it = j.find("generation_defaults"); it != j.end()) info.generation_defaults = *it;
  if (const auto it = j.find("limits"); it != j.end()) info.limits = *it;
  info.raw = j;
  return info;
}

}  // namespace mote
