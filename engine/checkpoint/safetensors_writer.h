#pragma once
// Writing safetensors checkpoints: one model.safetensors, or shards plus
// model.safetensors.index.json as Hugging Face releases them. Used by the tools that build test
// models, FP8-quantized copies and benchmark checkpoints; the reader is safetensors.h.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/checkpoint/safetensors_header.h"

namespace mote {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;  // any device, any layout; written as its contiguous CPU bytes
  // Stored dtype when it differs from the tensor's: a kByte tensor of E4M3 codes is written as
  // F8_E4M3. Must have the tensor's element size.
  std::optional<DType> dtype;
};

// The safetensors dtype of a torch dtype (kByte is U8); Error for dtypes safetensors lacks.
DType safetensors_dtype(at::ScalarType type);

// Writes `file` atomically (a temporary next to it, then rename). Tensors are laid out in
// descending element size, then by name (as the reference implementation does), so every tensor
// is aligned to its element size; the JSON header is space-padded to a multiple of 8 bytes.
// Error on duplicate names or a dtype override of the wrong size; CheckpointError naming the file
// on I/O failure.
void write_safetensors(const std::filesystem::path& file, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Writes `dir`/model-0000i-of-0000n.safetensors (tensors in the given order, a new shard whenever
// the next tensor would push a shard past max_shard_bytes; a larger tensor gets a shard of its
// own) and `dir`/model.safetensors.index.json with metadata.total_size and the weight_map.
void write_sharded_safetensors(const std::filesystem::path& dir,
                               const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes,
                               const std::map<std::string, std::string>& metadata = {});

// Streaming form, for checkpoints too large to hold in memory at once: the header is written from
// `plan`, then produce(i) is called once per plan entry i (in file order, not plan order) and its
// tensor written and released. produce(i) must return plan[i]'s shape with an element size
// matching plan[i].dtype.
struct TensorPlan {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};
using TensorProducer = std::function<at::Tensor(size_t plan_index)>;

void write_safetensors(const std::filesystem::path& file, const std::vector<TensorPlan>& plan,
                       const TensorProducer& produce,
                       const std::map<std::string, std::string>& metadata = {});
void write_sharded_safetensors(const std::filesystem::path& dir,
                               const std::vector<TensorPlan>& plan, const TensorProducer& produce,
                               uint64_t max_shard_bytes,
                               const std::map<std::string, std::string>& metadata = {});

}  // namespace mote
