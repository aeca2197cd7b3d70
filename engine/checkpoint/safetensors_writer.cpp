#include "engine/checkpoint/safetensors_writer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

using nlohmann::json;

std::string shape_string(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

uint64_t byte_size(const TensorPlan& t) {
  uint64_t n = dtype_size(t.dtype);
  for (int64_t d : t.shape) {
    if (d < 0) throw Error("tensor '" + t.name + "': negative dimension");
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// File order: descending element size, then name, so every tensor starts at a multiple of its
// element size (the data section starts at a multiple of 8).
std::vector<size_t> file_order(const std::vector<TensorPlan>& plan) {
  std::vector<size_t> order(plan.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const size_t sa = dtype_size(plan[a].dtype), sb = dtype_size(plan[b].dtype);
    return sa != sb ? sa > sb : plan[a].name < plan[b].name;
  });
  return order;
}

void check_unique(const std::vector<TensorPlan>& plan) {
  std::set<std::string> seen;
  for (const auto& t : plan) {
    if (t.name.empty() || t.name == "__metadata__")
      throw Error("safetensors: invalid tensor name '" + t.name + "'");
    if (!seen.insert(t.name).second) throw Error("safetensors: duplicate tensor '" + t.name + "'");
  }
}

// Writes the plan entries `indices` (a subset of plan, any order) as one file.
void write_file(const std::filesystem::path& file, const std::vector<TensorPlan>& plan,
                std::vector<size_t> indices, const TensorProducer& produce,
                const std::map<std::string, std::string>& metadata) {
  const std::string name = file.string();
  std::vector<TensorPlan> sub;
  for (size_t i : indices) sub.push_back(plan[i]);
  const std::vector<size_t> order = file_order(sub);

  json header = json::object();
  std::map<std::string, std::string> meta = metadata;
  meta.emplace("format", "pt");  // what Python loaders (transformers) expect to find
  header["__metadata__"] = meta;
  uint64_t offset = 0;
  for (size_t k : order) {
    const TensorPlan& t = sub[k];
    const uint64_t size = byte_size(t);
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::filesystem::path tmp = file;
  tmp += ".tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw CheckpointError(name + ": cannot open for writing");
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(text.size() >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (size_t k : order) {
      const TensorPlan& t = sub[k];
      at::Tensor tensor = produce(indices[k]);
      if (tensor.sizes() != at::IntArrayRef(t.shape))
        throw Error(name + ": tensor '" + t.name + "' has shape " + shape_string(tensor.sizes()) +
                    ", planned " + shape_string(t.shape));
      if (static_cast<size_t>(tensor.element_size()) != dtype_size(t.dtype))
        throw Error(name + ": tensor '" + t.name + "' of torch dtype " +
                    std::string(c10::toString(tensor.scalar_type())) + " cannot be stored as " +
                    dtype_name(t.dtype));
      // safetensors is little-endian, as is every host this builds on.
      tensor = tensor.to(at::kCPU).contiguous();
      out.write(static_cast<const char*>(tensor.data_ptr()),
                static_cast<std::streamsize>(tensor.nbytes()));
      if (!out) break;
    }
    out.close();
    if (!out) throw CheckpointError(name + ": write failed");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) throw CheckpointError(name + ": cannot rename temporary file: " + ec.message());
}

std::string shard_name(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

std::vector<TensorPlan> plan_of(const std::vector<NamedTensor>& tensors) {
  std::vector<TensorPlan> plan;
  plan.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (!t.tensor.defined()) throw Error("safetensors: tensor '" + t.name + "' is undefined");
    DType d = t.dtype ? *t.dtype : safetensors_dtype(t.tensor.scalar_type());
    if (dtype_size(d) != static_cast<size_t>(t.tensor.element_size()))
      throw Error("safetensors: tensor '" + t.name + "' of torch dtype " +
                  std::string(c10::toString(t.tensor.scalar_type())) + " cannot be stored as " +
                  dtype_name(d));
    plan.push_back(TensorPlan{t.name, d, t.tensor.sizes().vec()});
  }
  return plan;
}

}  // namespace

DType safetensors_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kDouble:
      return DType::F64;
    case at::kLong:
      return DType::I64;
    case at::kInt:
      return DType::I32;
    case at::kShort:
      return DType::I16;
    case at::kChar:
      return DType::I8;
    case at::kByte:
      return DType::U8;
    case at::kBool:
      return DType::BOOL;
    default:
      break;
  }
  throw Error(std::string("safetensors: no dtype for torch ") + c10::toString(type));
}

void write_safetensors(const std::filesystem::path& file, const std::vector<TensorPlan>& plan,
                       const TensorProducer& produce,
                       const std::map<std::string, std::string>& metadata) {
  check_unique(plan);
  std::vector<size_t> all(plan.size());
  std::iota(all.begin(), all.end(), size_t{0});
  write_file(file, plan, all, produce, metadata);
}

void write_sharded_safetensors(const std::filesystem::path& dir,
                               const std::vector<TensorPlan>& plan, const TensorProducer& produce,
                               uint64_t max_shard_bytes,
                               const std::map<std::string, std::string>& metadata) {
  check_unique(plan);
  std::vector<std::vector<size_t>> shards;
  uint64_t current = 0, total = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const uint64_t size = byte_size(plan[i]);
    if (shards.empty() || (current > 0 && current + size > max_shard_bytes)) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(i);
    current += size;
    total += size;
  }
  if (shards.empty()) shards.emplace_back();  // an empty checkpoint is still one valid file

  std::filesystem::create_directories(dir);
  json weight_map = json::object();
  for (size_t s = 0; s < shards.size(); ++s) {
    const std::string shard = shard_name(s, shards.size());
    write_file(dir / shard, plan, shards[s], produce, metadata);
    for (size_t i : shards[s]) weight_map[plan[i].name] = shard;
  }
  json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  const auto index_path = dir / "model.safetensors.index.json";
  std::ofstream out(index_path, std::ios::trunc);
  out << index.dump(2) << "\n";
  out.close();
  if (!out) throw CheckpointError(index_path.string() + ": write failed");
}

void write_safetensors(const std::filesystem::path& file, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_safetensors(
      file, plan_of(tensors), [&](size_t i) { return tensors[i].tensor; }, metadata);
}

void write_sharded_safetensors(const std::filesystem::path& dir,
                               const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes,
                               const std::map<std::string, std::string>& metadata) {
  write_sharded_safetensors(
      dir, plan_of(tensors), [&](size_t i) { return tensors[i].tensor; }, max_shard_bytes,
      metadata);
}

}  // namespace mote
