#include "engine/model/device_map.h"

#include <regex>

#include "engine/error.h"

namespace mote {

DeviceMap::DeviceMap(std::vector<at::Device> devices, int64_t n_layers)
    : devices_(std::move(devices)), n_layers_(n_layers) {
  if (devices_.empty()) devices_.push_back(at::Device(at::kCPU));
  const int64_t n = static_cast<int64_t>(devices_.size());
  // Layers split as evenly as possible; earlier devices take the remainder.
  int64_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    first_layer_.push_back(start);
    start += n_layers / n + (i < n_layers % n ? 1 : 0);
  }
}

std::vector<at::Device> DeviceMap::parse_devices(const std::string& spec) {
  std::smatch m;
  if (spec == "cpu") return {at::Device(at::kCPU)};
  if (spec == "cuda") return {at::Device(at::kCUDA, 0)};
  std::vector<at::Device> out;
  if (std::regex_match(spec, m, std::regex("cuda:([0-9]+)-([0-9]+)"))) {
    int a = std::stoi(m[1]), b = std::stoi(m[2]);
    if (a > b || b > 255) throw UsageError("bad device range '" + spec + "'");
    for (int i = a; i <= b; ++i) out.emplace_back(at::kCUDA, static_cast<at::DeviceIndex>(i));
    return out;
  }
  if (std::regex_match(spec, m, std::regex("cuda:([0-9]+(,[0-9]+)*)"))) {
    std::string list = m[1];
    std::regex num("[0-9]+");
    for (auto it = std::sregex_iterator(list.begin(), list.end(), num);
         it != std::sregex_iterator(); ++it) {
      int i = std::stoi(it->str());
      if (i > 255) throw UsageError("bad device index in '" + spec + "'");
      out.emplace_back(at::kCUDA, static_cast<at::DeviceIndex>(i));
    }
    return out;
  }
  throw UsageError("unknown device spec '" + spec +
                   "' (use cpu, cuda, cuda:N, cuda:A-B or cuda:A,B,...)");
}

at::Device DeviceMap::layer_device(int64_t layer) const {
  if (devices_.empty()) return at::Device(at::kCPU);
  for (int64_t i = static_cast<int64_t>(first_layer_.size()) - 1; i >= 0; --i)
    if (layer >= first_layer_[i]) return devices_[i];
  return devices_.front();
}

std::string DeviceMap::describe() const {
  if (devices_.empty()) return "cpu";
  std::string s;
  for (size_t i = 0; i < devices_.size(); ++i) {
    int64_t end = i + 1 < first_layer_.size() ? first_layer_[i + 1] : n_layers_;
    if (!s.empty()) s += " ";
    s += devices_[i].str() + "[" + std::to_string(first_layer_[i]) + "-" + std::to_string(end - 1) +
         "]";
  }
  return s;
}

}  // namespace mote
