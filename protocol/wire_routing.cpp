#include "protocol/wire_routing.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "protocol/wire_error.h"

namespace mote {
namespace {

using json = nlohmann::json;

const json& member(const json& j, const char* key, const char* what) {
  if (!j.is_object()) throw WireError(std::string(what) + " is not a JSON object");
  const auto it = j.find(key);
  if (it == j.end()) throw WireError(std::string(what) + " has no \"" + key + "\"");
  return *it;
}

std::int64_t integer(const json& j, const std::string& what) {
  if (!j.is_number_integer()) throw WireError(what + " is not an integer");
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw WireError(what + " is out of range");
  return j.get<std::int64_t>();
}

int small_int(const json& j, const std::string& what) {
  const std::int64_t v = integer(j, what);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw WireError(what + " is out of range");
  return static_cast<int>(v);
}

std::vector<int> int_list(const json& j, const std::string& what) {
  if (!j.is_array()) throw WireError(what + " is not a list");
  std::vector<int> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(small_int(v, what + " entry"));
  return out;
}

std::vector<float> float_list(const json& j, const std::string& what) {
  if (!j.is_array()) throw WireError(what + " is not a list");
  std::vector<float> out;
  out.reserve(j.size());
  for (const auto& v : j) {
    if (!v.is_number()) throw WireError(what + " holds a non-number");
    out.push_back(v.get<float>());
  }
  return out;
}

json rounded(const std::vector<float>& values) {
  std::vector<double> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = round_significant(values[i]);
  return out;
}

}  // namespace

double round_significant(double v, int digits) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale =
      std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

json RoutingRow::to_json() const {
  json r = {{"position", position}, {"is_prompt", is_prompt}, {"token", token}, {"ids", ids}};
  if (!weights.empty()) r["weights"] = rounded(weights);
  if (!ids_before.empty()) r["ids_before"] = ids_before;
  if (!weights_before.empty()) r["weights_before"] = rounded(weights_before);
  return r;
}

RoutingRow RoutingRow::from_json(const json& j) {
  const char* what = "a routing row";
  RoutingRow row;
  row.position = small_int(member(j, "position", what), "a routing row's position");
  const json& is_prompt = member(j, "is_prompt", what);
  if (!is_prompt.is_boolean()) throw WireError("a routing row's is_prompt is not a boolean");
  row.is_prompt = is_prompt.get<bool>();
  if (const auto it = j.find("token"); it != j.end())
    row.token = integer(*it, "a routing row's token");
  row.ids = int_list(member(j, "ids", what), "a routing row's ids");
  if (const auto it = j.find("weights"); it != j.end())
    row.weights = float_list(*it, "a routing row's weights");
  if (const auto it = j.find("ids_before"); it != j.end())
    row.ids_before = int_list(*it, "a routing row's ids_before");
  if (const auto it = j.find("weights_before"); it != j.end())
    row.weights_before = float_list(*it, "a routing row's weights_before");
  if (!row.weights.empty() && row.weights.size() != row.ids.size())
    throw WireError("a routing row has " + std::to_string(row.ids.size()) + " ids but " +
                    std::to_string(row.weights.size()) + " weights");
  return row;
}

json activation_map_to_json(const ActivationMap& map, bool weighted) {
  json out = json::array();
  for (std::size_t l = 0; l < map.rows; ++l) {
    json row = json::array();
    for (std::size_t e = 0; e < map.cols; ++e) {
      const float v = map.at(l, e);
      if (weighted)
        row.push_back(round_significant(v));
      else
        row.push_back(static_cast<std::int64_t>(std::lround(v)));
    }
    out.push_back(std::move(row));
  }
  return out;
}

ActivationMap activation_map_from_json(const json& j, const ModelGeometry& geometry) {
  const std::size_t rows = geometry.n_moe_layers();
  const auto cols = static_cast<std::size_t>(geometry.n_experts);
  auto shape_error = [&] {
    return WireError("an activation map is not " + std::to_string(rows) + " x " +
                     std::to_string(cols) + " numbers (the model's geometry)");
  };
  if (!j.is_array() || j.size() != rows) throw shape_error();
  ActivationMap map(rows, cols);
  for (std::size_t l = 0; l < rows; ++l) {
    if (!j[l].is_array() || j[l].size() != cols) throw shape_error();
    for (std::size_t e = 0; e < cols; ++e) {
      if (!j[l][e].is_number()) throw shape_error();
      map.at(l, e) = j[l][e].get<float>();
    }
  }
  return map;
}

}  // namespace mote
