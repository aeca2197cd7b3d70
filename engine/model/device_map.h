#pragma once
// Layer-wise placement across devices: contiguous runs of layers per device, balanced by layer
// count, embedding on the first device and the final norm + head on the last. Pure bookkeeping,
// so it is unit-tested on CPU.
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace mote {

class DeviceMap {
 public:
  DeviceMap() = default;  // everything on the CPU
  DeviceMap(std::vector<at::Device> devices, int64_t n_layers);

  // "cpu", "cuda", "cuda:1", "cuda:0-7", "cuda:0,2,3" -> device list. UsageError on bad syntax.
  static std::vector<at::Device> parse_devices(const std::string& spec);

  at::Device layer_device(int64_t layer) const;
  at::Device first() const { return devices_.empty() ? at::Device(at::kCPU) : devices_.front(); }
  at::Device last() const { return devices_.empty() ? at::Device(at::kCPU) : devices_.back(); }
  const std::vector<at::Device>& devices() const { return devices_; }
  std::string describe() const;  // e.g. "cuda:0[0-7] cuda:1[8-15]"

 private:
  std::vector<at::Device> devices_;
  std::vector<int64_t> first_layer_;  // first layer index placed on devices_[i]
  int64_t n_layers_ = 0;
};

}  // namespace mote
