#include "sessions/tuning_spec.h"

#include <set>

#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

std::string describe(const ExpertAddress& a) {
  return "[" + std::to_string(a.layer) + ", " + std::to_string(a.expert) + "]";
}

std::vector<ExpertAddress> parse_list(const nlohmann::json& json, const char* key) {
  std::vector<ExpertAddress> list;
  if (!json.contains(key)) return list;
  const auto& array = json.at(key);
  if (!array.is_array())
    throw SessionError(std::string("tuning spec: \"") + key + "\" must be a list");
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& item = array[i];
    if (!item.is_array() || item.size() != 2 || !item[0].is_number_integer() ||
        !item[1].is_number_integer()) {
      throw SessionError(std::string("tuning spec: \"") + key + "\"[" + std::to_string(i) +
                         "] must be [layer, expert] integers, got " + item.dump());
    }
    list.push_back({item[0].get<int>(), item[1].get<int>()});
  }
  return list;
}

nlohmann::json list_json(const std::vector<ExpertAddress>& list) {
  auto array = nlohmann::json::array();
  for (const auto& a : list) array.push_back({a.layer, a.expert});
  return array;
}

}  // namespace

void TuningSpec::validate(const ModelGeometry& geometry) const {
  std::set<ExpertAddress> seen_suppress;
  for (const auto& a : suppress) {
    if (!geometry.contains(a))
      throw SessionError("tuning spec: suppress " + describe(a) +
                         " is not an expert of this model");
    if (!seen_suppress.insert(a).second)
      throw SessionError("tuning spec: suppress " + describe(a) + " listed twice");
  }
  std::set<ExpertAddress> seen_stimulate;
  for (const auto& a : stimulate) {
    if (!geometry.contains(a))
      throw SessionError("tuning spec: stimulate " + describe(a) +
                         " is not an expert of this model");
    if (!seen_stimulate.insert(a).second)
      throw SessionError("tuning spec: stimulate " + describe(a) + " listed twice");
    if (seen_suppress.count(a))
      throw SessionError("tuning spec: " + describe(a) + " is both suppressed and stimulated");
  }
}

std::vector<ExpertAddress> TuningSpec::experts() const {
  std::vector<ExpertAddress> all = suppress;
  all.insert(all.end(), stimulate.begin(), stimulate.end());
  return all;
}

nlohmann::json TuningSpec::to_json() const {
  return {{"suppress", list_json(suppress)}, {"stimulate", list_json(stimulate)}};
}

TuningSpec TuningSpec::from_json(const nlohmann::json& json) {
  if (!json.is_object())
    throw SessionError("tuning spec: expected a JSON object, got " + json.dump());
  for (const auto& [key, value] : json.items()) {
    if (key != "suppress" && key != "stimulate")
      throw SessionError("tuning spec: unknown key \"" + key + "\"");
  }
  TuningSpec spec;
  spec.suppress = parse_list(json, "suppress");
  spec.stimulate = parse_list(json, "stimulate");
  return spec;
}

TuningSpec TuningSpec::parse(const std::string& json_text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw SessionError(std::string("tuning spec: invalid JSON: ") + e.what());
  }
  return from_json(json);
}

}  // namespace mote::sessions
