#include <catch2/catch.hpp>

#include "engine/error.h"
#include "engine/model/device_map.h"

using namespace mote;

TEST_CASE("device specs parse into device lists", "[device]") {
  CHECK(DeviceMap::parse_devices("cpu") == std::vector<at::Device>{at::Device(at::kCPU)});
  auto eight = DeviceMap::parse_devices("cuda:0-7");
  REQUIRE(eight.size() == 8);
  CHECK(eight[7] == at::Device(at::kCUDA, 7));
  CHECK(DeviceMap::parse_devices("cuda:1,3").at(1) == at::Device(at::kCUDA, 3));
  CHECK_THROWS_AS(DeviceMap::parse_devices("gpu0"), UsageError);
  CHECK_THROWS_AS(DeviceMap::parse_devices("cuda:5-2"), UsageError);
}

TEST_CASE("layers are split into contiguous balanced runs", "[device]") {
  // R1: 61 layers over 8 GPUs -> 8,8,8,8,8,7,7,7
  DeviceMap map(DeviceMap::parse_devices("cuda:0-7"), 61);
  CHECK(map.layer_device(0) == at::Device(at::kCUDA, 0));
  CHECK(map.layer_device(7) == at::Device(at::kCUDA, 0));
  CHECK(map.layer_device(8) == at::Device(at::kCUDA, 1));
  CHECK(map.layer_device(39) == at::Device(at::kCUDA, 4));
  CHECK(map.layer_device(40) == at::Device(at::kCUDA, 5));
  CHECK(map.layer_device(60) == at::Device(at::kCUDA, 7));
  CHECK(map.first() == at::Device(at::kCUDA, 0));
  CHECK(map.last() == at::Device(at::kCUDA, 7));
  CHECK(map.describe().rfind("cuda:0[0-7] cuda:1[8-15]", 0) == 0);
  int64_t changes = 0;
  for (int64_t l = 1; l < 61; ++l) changes += map.layer_device(l) != map.layer_device(l - 1);
  CHECK(changes == 7);
  DeviceMap cpu;
  CHECK(cpu.layer_device(3) == at::Device(at::kCPU));
}
