#include "protocol/wire_scan.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/wire_error.h"
#include "protocol/wire_routing.h"

namespace mote {
namespace {

using json = nlohmann::json;

template <typename T>
T field(const json& j, const char* event, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw WireError(std::string(event) + " has no \"" + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw WireError(std::string(event) + " " + key + " has the wrong type");
  }
}

std::size_t count_field(const json& j, const char* event, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned())
    throw WireError(std::string(event) + " " + key + " is missing or not a count");
  return it->get<std::size_t>();
}

}  // namespace

json ScanPrompt::to_json() const {
  if (!chat) return {{"text", text}};
  return {{"messages", messages_to_json(messages)},
          {"add_generation_prompt", add_generation_prompt}};
}

json ScanStart::to_json() const {
  return {{"object", "mote.scan.start"},       {"prompts", prompts},
          {"moe_layers", geometry.moe_layers}, {"n_experts", geometry.n_experts},
          {"top_k", geometry.top_k},           {"batch_size", batch_size},
          {"max_tokens", max_tokens},          {"tuning", tuning.to_json()}};
}

ScanStart ScanStart::from_json(const json& j) {
  const char* event = "mote.scan.start";
  ScanStart s;
  s.prompts = count_field(j, event, "prompts");
  s.geometry.moe_layers = field<std::vector<int>>(j, event, "moe_layers");
  s.geometry.n_experts = field<int>(j, event, "n_experts");
  s.geometry.top_k = field<int>(j, event, "top_k");
  s.batch_size = field<int>(j, event, "batch_size");
  s.max_tokens = field<int>(j, event, "max_tokens");
  if (const auto it = j.find("tuning"); it != j.end()) {
    try {
      s.tuning = TuningSpec::from_json(*it);
    } catch (const TuningError& e) {
      throw WireError(std::string(event) + ": " + e.what());
    }
  }
  return s;
}

json ScanResult::to_json() const {
  json e = {{"object", "mote.scan.result"},
            {"index", index},
            {"prompt_tokens", prompt_tokens},
            {"counts", activation_map_to_json(counts)}};
  if (weighted_counts) e["weighted_counts"] = activation_map_to_json(*weighted_counts, true);
  if (text) {
    e["text"] = *text;
    e["completion_tokens"] = completion_tokens;
    e["finish_reason"] = finish_reason;
  }
  return e;
}

ScanResult ScanResult::from_json(const json& j, const ModelGeometry& geometry) {
  const char* event = "a scan result";
  ScanResult r;
  r.index = count_field(j, event, "index");
  r.prompt_tokens = field<int>(j, event, "prompt_tokens");
  const auto counts = j.find("counts");
  if (counts == j.end()) throw WireError("a scan result has no \"counts\"");
  r.counts = activation_map_from_json(*counts, geometry);
  if (const auto w = j.find("weighted_counts"); w != j.end())
    r.weighted_counts = activation_map_from_json(*w, geometry);
  if (j.contains("text")) {
    r.text = field<std::string>(j, event, "text");
    r.completion_tokens = field<int>(j, event, "completion_tokens");
    r.finish_reason = field<std::string>(j, event, "finish_reason");
  }
  return r;
}

json ScanDone::to_json() const {
  json done = {{"object", "mote.scan.done"},
               {"prompts", prompts},
               {"completed", completed},
               {"seconds", round_significant(seconds, 4)},
               {"prompts_per_second", round_significant(prompts_per_second, 4)}};
  if (cancelled) done["cancelled"] = true;
  return done;
}

ScanDone ScanDone::from_json(const json& j) {
  const char* event = "mote.scan.done";
  ScanDone d;
  d.prompts = count_field(j, event, "prompts");
  d.completed = count_field(j, event, "completed");
  if (j.contains("seconds")) d.seconds = field<double>(j, event, "seconds");
  if (j.contains("prompts_per_second"))
    d.prompts_per_second = field<double>(j, event, "prompts_per_second");
  if (j.contains("cancelled")) d.cancelled = field<bool>(j, event, "cancelled");
  return d;
}

}  // namespace mote
