#include "engine/checkpoint/checkpoint_tools.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/error.h"
#include "engine/model/config.h"
#include "engine/model/fp8.h"
#include "engine/model/weight_layout.h"

namespace mote {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// FNV-1a: a hash of the tensor name that is the same on every platform and standard library.
uint64_t stable_hash(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

void write_json(const fs::path& path, const json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) throw CheckpointError(path.string() + ": write failed");
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw ConfigError(path.string() + ": invalid JSON: " + e.what());
  }
}

// A stale index from an earlier sharded write would take precedence over the new single file.
void prepare_output_dir(const fs::path& dir) {
  fs::create_directories(dir);
  std::error_code ec;
  fs::remove(dir / "model.safetensors.index.json", ec);
}

void copy_side_files(const fs::path& src, const fs::path& dst) {
  for (const char* name : {"generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
    if (!fs::exists(src / name)) continue;
    std::error_code ec;
    fs::copy_file(src / name, dst / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw CheckpointError((dst / name).string() + ": cannot copy: " + ec.message());
  }
}

// "<weight>_scale_inv" -> "<weight>"; "" for any other name.
std::string scale_owner(const std::string& name) {
  const std::string suffix = scale_inv_name("");
  return name.ends_with(suffix) ? name.substr(0, name.size() - suffix.size()) : std::string();
}

// R1's release quantizes the MTP layers' projections as well; classify them with the layout of a
// config whose stack includes those layers.
std::map<std::string, std::vector<int64_t>> linear_weights(const ModelConfig& config) {
  ModelConfig with_mtp = config;
  with_mtp.num_hidden_layers += config.num_nextn_predict_layers;
  std::map<std::string, std::vector<int64_t>> out;
  for (const WeightSpec& w : weight_layout(with_mtp))
    if (w.kind == WeightKind::Linear) out[w.name] = w.shape;
  return out;
}

}  // namespace

void write_random_checkpoint(const fs::path& dir, const json& config_json, uint64_t seed,
                             at::ScalarType dtype) {
  if (!at::isFloatingType(dtype))
    throw Error(std::string("write_random_checkpoint: dtype must be floating, got ") +
                c10::toString(dtype));
  const ModelConfig config = ModelConfig::from_json(config_json);
  const std::vector<WeightSpec> layout = weight_layout(config);
  const DType stored = safetensors_dtype(dtype);

  std::vector<TensorPlan> plan;
  for (const WeightSpec& w : layout)
    plan.push_back(
        TensorPlan{w.name, w.kind == WeightKind::RouterBias ? DType::F32 : stored, w.shape});

  auto produce = [&](size_t i) -> at::Tensor {
    const WeightSpec& w = layout[i];
    auto gen = at::make_generator<at::CPUGeneratorImpl>(splitmix64(seed ^ stable_hash(w.name)));
    at::Tensor x = at::randn(w.shape, gen, at::TensorOptions().dtype(at::kFloat));
    const double in = static_cast<double>(w.shape.back());
    switch (w.kind) {
      case WeightKind::Norm:
        x = x.mul_(0.1).add_(1.0);
        break;
      case WeightKind::Linear:
        x = x.mul_(1.0 / std::sqrt(in));
        break;
      case WeightKind::Embedding:
        // The input embedding feeds the residual stream directly (RMS ~1); lm_head is a projection.
        if (w.name != "model.embed_tokens.weight") x = x.mul_(1.0 / std::sqrt(in));
        break;
      case WeightKind::Router:
        x = x.mul_(0.5 / std::sqrt(in));
        break;
      case WeightKind::RouterBias:
        return x.mul_(0.05);
    }
    return x.to(dtype);
  };

  prepare_output_dir(dir);
  write_json(dir / "config.json", config_json);
  write_safetensors(dir / "model.safetensors", plan, produce);
}

void quantize_checkpoint_fp8(const fs::path& src_dir, const fs::path& fp8_dir,
                             const fs::path& dequantized_dir) {
  // weakly_canonical also resolves directories that do not exist yet; drop a trailing slash.
  const auto normal = [](const fs::path& p) {
    fs::path n = fs::weakly_canonical(p);
    return n.has_filename() ? n : n.parent_path();
  };
  const fs::path src = normal(src_dir), out8 = normal(fp8_dir), outd = normal(dequantized_dir);
  if (src == out8 || src == outd || out8 == outd)
    throw Error("quantize_checkpoint_fp8: source and output directories must differ");

  const fs::path config_path = src_dir / "config.json";
  json config_json = read_json(config_path);
  const ModelConfig config = ModelConfig::from_file(config_path);
  if (config.fp8) throw ConfigError(config_path.string() + ": checkpoint is already FP8-quantized");
  const auto ckpt = Checkpoint::open(src_dir);
  const std::map<std::string, std::vector<int64_t>> linear = linear_weights(config);
  // Every tensor inference needs must be there, floating, with the config's shape, before
  // anything is written (CheckpointError naming file and tensor otherwise).
  for (const WeightSpec& w : weight_layout(config))
    ckpt->tensor(w.name, w.shape, {DType::F32, DType::BF16, DType::F16});

  // FP8 copy: each Linear weight becomes two tensors, its codes and its block scales.
  struct Item {
    std::string source;  // tensor in src
    enum { Copy, Codes, Scales } what;
  };
  std::vector<TensorPlan> plan;
  std::vector<Item> items;
  for (const std::string& name : ckpt->names()) {
    const TensorEntry& e = ckpt->entry(name);
    auto it = linear.find(name);
    if (it == linear.end()) {
      if (linear.count(scale_owner(name)))
        throw CheckpointError(ckpt->file_of(name).string() + ": tensor '" + name +
                              "': source checkpoint already holds FP8 scales");
      plan.push_back(TensorPlan{name, e.dtype, e.shape});
      items.push_back({name, Item::Copy});
      continue;
    }
    // Validates dtype and shape against the config, naming file and tensor.
    ckpt->tensor(name, it->second, {DType::F32, DType::BF16, DType::F16});
    plan.push_back(TensorPlan{name, DType::F8_E4M3, e.shape});
    items.push_back({name, Item::Codes});
    plan.push_back(
        TensorPlan{scale_inv_name(name), DType::F32,
                   fp8_scale_shape(e.shape[0], e.shape[1], kFp8BlockSize, kFp8BlockSize)});
    items.push_back({name, Item::Scales});
  }
  // Scales are written before codes (file order is by element size), so each weight is
  // quantized twice rather than holding every code tensor in memory; the result is identical.
  auto produce_fp8 = [&](size_t i) -> at::Tensor {
    const Item& item = items[i];
    const at::Tensor source = ckpt->tensor(item.source);
    if (item.what == Item::Copy) return source;
    auto [q, scale] = quantize_fp8_blocks(source, kFp8BlockSize, kFp8BlockSize);
    return item.what == Item::Codes ? q : scale;
  };

  json fp8_config = config_json;
  fp8_config["quantization_config"] = {{"activation_scheme", "dynamic"},
                                       {"fmt", "e4m3"},
                                       {"quant_method", "fp8"},
                                       {"weight_block_size", {kFp8BlockSize, kFp8BlockSize}}};
  prepare_output_dir(fp8_dir);
  write_safetensors(fp8_dir / "model.safetensors", plan, produce_fp8);
  write_json(fp8_dir / "config.json", fp8_config);
  copy_side_files(src_dir, fp8_dir);

  // Dequantized copy, read back from what fp8_dir now stores.
  const auto fp8 = Checkpoint::open(fp8_dir);
  std::vector<TensorPlan> deq_plan;
  for (const std::string& name : fp8->names()) {
    const TensorEntry& e = fp8->entry(name);
    if (linear.count(scale_owner(name))) continue;  // folded into its weight
    deq_plan.push_back(TensorPlan{name, e.dtype == DType::F8_E4M3 ? DType::F32 : e.dtype, e.shape});
  }
  auto produce_deq = [&](size_t i) -> at::Tensor {
    const std::string& name = deq_plan[i].name;
    const at::Tensor t = fp8->tensor(name);
    if (fp8->entry(name).dtype != DType::F8_E4M3) return t;
    return dequantize_fp8_blocks(t, fp8->tensor(scale_inv_name(name)), kFp8BlockSize, kFp8BlockSize,
                                 at::kFloat);
  };
  prepare_output_dir(dequantized_dir);
  write_safetensors(dequantized_dir / "model.safetensors", deq_plan, produce_deq);
  write_json(dequantized_dir / "config.json", config_json);
  copy_side_files(src_dir, dequantized_dir);
}

}  // namespace mote
