#include "protocol/tuning_spec.h"

#include <fstream>
#include <limits>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "protocol/error.h"

namespace mote {
namespace {

std::vector<ExpertAddress> parse_list(const nlohmann::json& list, const char* key) {
  if (!list.is_array())
    throw TuningError(std::string("tuning: \"") + key +
                      "\" must be a list of [layer, expert] pairs");
  std::vector<ExpertAddress> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    bool ok = item.is_array() && item.size() == 2;
    for (std::size_t j = 0; ok && j < 2; ++j) {
      ok = item[j].is_number_integer() &&
           (item[j].is_number_unsigned()
                ? item[j].get<std::uint64_t>() <= std::numeric_limits<int>::max()
                : item[j].get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                      item[j].get<std::int64_t>() <= std::numeric_limits<int>::max());
    }
    if (!ok) {
      throw TuningError(std::string("tuning: ") + key + "[" + std::to_string(i) +
                        "] must be a [layer, expert] pair of integers, got " + item.dump());
    }
    out.push_back({item[0].get<int>(), item[1].get<int>()});
  }
  return out;
}

nlohmann::json list_json(const std::vector<ExpertAddress>& list) {
  auto array = nlohmann::json::array();
  for (const auto& a : list) array.push_back({a.layer, a.expert});
  return array;
}

void check_address(const ExpertAddress& a, const char* list, const ModelGeometry& geometry) {
  if (!geometry.is_moe_layer(a.layer)) {
    throw TuningError(
        std::string("tuning: ") + list + " " + to_string(a) + ": layer " + std::to_string(a.layer) +
        " is not a MoE layer of this model (MoE layers: " + geometry.describe_moe_layers() + ")");
  }
  if (a.expert < 0 || a.expert >= geometry.n_experts) {
    throw TuningError(std::string("tuning: ") + list + " " + to_string(a) +
                      ": expert out of range 0.." + std::to_string(geometry.n_experts - 1));
  }
}

}  // namespace

void TuningSpec::validate(const ModelGeometry& geometry) const {
  std::set<ExpertAddress> suppressed;
  for (const auto& a : suppress) {
    check_address(a, "suppress", geometry);
    if (!suppressed.insert(a).second)
      throw TuningError("tuning: suppress " + to_string(a) + " is listed twice");
  }
  std::set<ExpertAddress> stimulated;
  std::map<int, int> stimulated_per_layer;
  for (const auto& a : stimulate) {
    check_address(a, "stimulate", geometry);
    if (!stimulated.insert(a).second)
      throw TuningError("tuning: stimulate " + to_string(a) + " is listed twice");
    if (suppressed.count(a))
      throw TuningError("tuning: " + to_string(a) + " is both suppressed and stimulated");
    if (++stimulated_per_layer[a.layer] > geometry.top_k) {
      throw TuningError("tuning: layer " + std::to_string(a.layer) + " stimulates more than " +
                        std::to_string(geometry.top_k) + " experts (at most top-k = " +
                        std::to_string(geometry.top_k) + " per layer)");
    }
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
  if (!json.is_object()) throw TuningError("tuning: expected a JSON object, got " + json.dump());
  TuningSpec spec;
  for (const auto& [key, value] : json.items()) {
    if (key == "suppress")
      spec.suppress = parse_list(value, "suppress");
    else if (key == "stimulate")
      spec.stimulate = parse_list(value, "stimulate");
    else
      throw TuningError("tuning: unknown key \"" + key + "\" (expected suppress, stimulate)");
  }
  return spec;
}

TuningSpec TuningSpec::parse(const std::string& json_text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw TuningError(std::string("tuning: invalid JSON: ") + e.what());
  }
  return from_json(json);
}

TuningSpec TuningSpec::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TuningError("cannot open tuning file " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return parse(text);
  } catch (const TuningError& e) {
    throw TuningError(path + ": " + e.what());
  }
}

}  // namespace mote
