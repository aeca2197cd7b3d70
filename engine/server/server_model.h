#pragma once
// Everything the server loads once from a checkpoint directory: the Transformer, its tokenizer,
// chat template and generation defaults (generation_config.json), plus the geometry the request
// validator checks expert addresses against.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/device_map.h"
#include "engine/model/model.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "protocol/wire_model.h"
#include "protocol/wire_request.h"

namespace mote::server {

// generation_config.json: the sampling a request gets for the fields it leaves out.
struct GenerationDefaults {
  double temperature = 0.0;  // do_sample false (or absent): greedy
  double top_p = 1.0;
  int64_t top_k = 0;
  std::vector<int64_t> eos_token_ids;  // from config.json and generation_config.json

  // Missing file: greedy. ConfigError on wrong types.
  static GenerationDefaults from_file(const std::filesystem::path& path, const ModelConfig& config);
};

struct ModelBundle {
  std::string id;  // served model name ("model" in OpenAI responses)
  std::filesystem::path dir;
  std::shared_ptr<Transformer> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;  // none: chat routes answer 400
  GenerationDefaults defaults;
  ModelGeometry geometry;

  // Loads DIR's config.json + safetensors, tokenizer.json, tokenizer_config.json (chat template,
  // unless template_name overrides it) and generation_config.json.
  static std::shared_ptr<ModelBundle> load(const std::filesystem::path& dir,
                                           EngineOptions options = {}, DeviceMap devices = {},
                                           const std::optional<std::string>& template_name = {},
                                           const std::optional<std::string>& id = {});
  // GET /mote/v1/model
  ModelInfo describe() const;  // GET /mote/v1/model (limits are the server's to add)
};

}  // namespace mote::server
