#pragma once
// Building checkpoints in DeepSeek's Hugging Face layout: random-weight models of any config (for
// tests and benchmarks) and R1-style FP8 block-quantized copies of an existing checkpoint.
#include <cstdint>
#include <filesystem>

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

namespace mote {

// Writes dir/config.json (config_json as given) and dir/model.safetensors holding every tensor of
// weight_layout(ModelConfig::from_json(config_json)) in `dtype` (floating), except the F32
// e_score_correction_bias. Initialization keeps activations O(1) through the stack:
//   norms 1 + 0.1*randn; embed_tokens randn; Linear and lm_head randn/sqrt(in);
//   router randn*0.5/sqrt(hidden) (logits ~N(0, 0.25): distinct, non-degenerate winners);
//   e_score_correction_bias 0.05*randn.
// Every tensor draws from its own CPU generator seeded from (seed, tensor name), so the output is
// a function of the seed alone, and tensors are generated and written one at a time.
void write_random_checkpoint(const std::filesystem::path& dir, const nlohmann::json& config_json,
                             uint64_t seed, at::ScalarType dtype = at::kBFloat16);

// Block size of DeepSeek-V3/R1's FP8 release.
inline constexpr int64_t kFp8BlockSize = 128;

// From the (unquantized) checkpoint in src_dir writes:
//  - fp8_dir: every Linear weight (per weight_layout, MTP layers included) as F8_E4M3 plus
//    "<name>_scale_inv" F32 [ceil(out/128), ceil(in/128)]; all other tensors unchanged; config.json
//    with R1's quantization_config added.
//  - dequantized_dir: the same checkpoint with each FP8 weight replaced by its F32 dequantization
//    (exactly dequantize_fp8_blocks of what fp8_dir stores) and no scales; config.json unchanged.
//    A model run on it must reproduce a run on fp8_dir.
// generation_config.json and tokenizer files are copied to both. ConfigError / CheckpointError
// naming the file and tensor on bad input (including an already-quantized source).
void quantize_checkpoint_fp8(const std::filesystem::path& src_dir,
                             const std::filesystem::path& fp8_dir,
                             const std::filesystem::path& dequantized_dir);

}  // namespace mote
