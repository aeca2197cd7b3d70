#include "protocol/model_geometry.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/error.h"

namespace mote {

bool ModelGeometry::is_moe_layer(int layer) const {
  return std::binary_search(moe_layers.begin(), moe_layers.end(), layer);
}

int ModelGeometry::moe_index(int layer) const {
  auto it = std::lower_bound(moe_layers.begin(), moe_layers.end(), layer);
  if (it == moe_layers.end() || *it != layer) {
    throw GeometryError("layer " + std::to_string(layer) +
                        " is not a MoE layer of this model (MoE layers: " + describe_moe_layers() +
                        ")");
  }
  return static_cast<int>(it - moe_layers.begin());
}

bool ModelGeometry::contains(const ExpertAddress& address) const {
  return is_moe_layer(address.layer) && address.expert >= 0 && address.expert < n_experts;
}

std::size_t ModelGeometry::flat_index(const ExpertAddress& address) const {
  if (address.expert < 0 || address.expert >= n_experts) {
    throw GeometryError("expert " + std::to_string(address.expert) + " out of range 0.." +
                        std::to_string(n_experts - 1) + " (layer " + std::to_string(address.layer) +
                        ")");
  }
  return static_cast<std::size_t>(moe_index(address.layer)) * n_experts + address.expert;
}

ExpertAddress ModelGeometry::address_of(std::size_t flat_index) const {
  if (flat_index >= n_cells()) {
    throw GeometryError("flat expert index " + std::to_string(flat_index) + " out of range");
  }
  return {moe_layers[flat_index / n_experts], static_cast<int>(flat_index % n_experts)};
}

std::string ModelGeometry::describe_moe_layers() const {
  if (moe_layers.empty()) return "none";
  const bool contiguous =
      moe_layers.back() - moe_layers.front() + 1 == static_cast<int>(moe_layers.size());
  if (contiguous && moe_layers.size() > 1)
    return std::to_string(moe_layers.front()) + ".." + std::to_string(moe_layers.back());
  std::string out;
  for (int layer : moe_layers) out += (out.empty() ? "" : ", ") + std::to_string(layer);
  return out;
}

void ModelGeometry::validate() const {
  if (moe_layers.empty()) throw GeometryError("model geometry: no MoE layers");
  for (std::size_t i = 0; i < moe_layers.size(); ++i) {
    if (moe_layers[i] < 0 || (i > 0 && moe_layers[i] <= moe_layers[i - 1])) {
      throw GeometryError("model geometry: moe_layers must be ascending, unique and >= 0");
    }
  }
  if (n_experts < 1 || top_k < 1 || top_k > n_experts) {
    throw GeometryError("model geometry: need n_experts >= top_k >= 1 (n_experts " +
                        std::to_string(n_experts) + ", top_k " + std::to_string(top_k) + ")");
  }
}

nlohmann::json ModelGeometry::to_json() const {
  return {{"moe_layers", moe_layers}, {"n_experts", n_experts}, {"top_k", top_k}};
}

ModelGeometry ModelGeometry::from_json(const nlohmann::json& json) {
  ModelGeometry geometry;
  try {
    geometry.moe_layers = json.at("moe_layers").get<std::vector<int>>();
    geometry.n_experts = json.at("n_experts").get<int>();
    geometry.top_k = json.at("top_k").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw GeometryError(std::string("model geometry JSON: ") + e.what());
  }
  geometry.validate();
  return geometry;
}

ModelGeometry ModelGeometry::deepseek_r1() {
  ModelGeometry geometry;
  for (int layer = 3; layer <= 60; ++layer) geometry.moe_layers.push_back(layer);
  geometry.n_experts = 256;
  geometry.top_k = 8;
  return geometry;
}

}  // namespace mote
