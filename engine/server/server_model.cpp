#include "engine/server/server_model.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote::server {

GenerationDefaults GenerationDefaults::from_file(const std::filesystem::path& path,
                                                 const ModelConfig& config) {
  GenerationDefaults d;
  d.eos_token_ids = config.eos_token_ids;
  std::ifstream in(path);
  if (!in) return d;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(path.string() + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(path.string() + " is not a JSON object");
  auto number = [&](const char* key, double fallback) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_number()) throw ConfigError(path.string() + ": " + key + " must be a number");
    return it->get<double>();
  };
  // Hugging Face samples only with do_sample; otherwise temperature/top_p are ignored (greedy).
  const auto ds = j.find("do_sample");
  const bool do_sample = ds != j.end() && ds->is_boolean() && ds->get<bool>();
  if (do_sample) {
    d.temperature = number("temperature", 1.0);
    d.top_p = number("top_p", 1.0);
    d.top_k = static_cast<int64_t>(number("top_k", 0));
    if (d.top_k > 0 && !j.contains("top_k")) d.top_k = 0;
  }
  if (const auto it = j.find("eos_token_id"); it != j.end()) {
    std::vector<int64_t> ids;
    if (it->is_number_integer())
      ids.push_back(it->get<int64_t>());
    else if (it->is_array())
      for (const auto& e : *it)
        if (e.is_number_integer()) ids.push_back(e.get<int64_t>());
    for (int64_t id : ids)
      if (std::find(d.eos_token_ids.begin(), d.eos_token_ids.end(), id) == d.eos_token_ids.end())
        d.eos_token_ids.push_back(id);
  }
  return d;
}

std::shared_ptr<ModelBundle> ModelBundle::load(const std::filesystem::path& dir,
                                               EngineOptions options, DeviceMap devices,
                                               const std::optional<std::string>& template_name,
                                               const std::optional<std::string>& id) {
  auto b = std::make_shared<ModelBundle>();
  b->dir = dir;
  // Tokenizer first: it fails fast, the weights take long.
  b->tokenizer = Tokenizer::from_file(dir / "tokenizer.json");
  const auto tc = dir / "tokenizer_config.json";
  if (template_name || std::filesystem::exists(tc))
    b->chat_template = ChatTemplate::from_tokenizer_config(tc, template_name);
  b->model = Transformer::load(dir, options, std::move(devices));
  const ModelConfig& c = b->model->config();
  b->defaults = GenerationDefaults::from_file(dir / "generation_config.json", c);
  b->geometry = c.geometry();
  if (id && !id->empty()) {
    b->id = *id;
  } else {
    auto canonical = std::filesystem::weakly_canonical(dir);
    b->id = canonical.filename().empty() ? canonical.parent_path().filename().string()
                                         : canonical.filename().string();
  }
  return b;
}

ModelInfo ModelBundle::describe() const {
  const ModelConfig& c = model->config();
  ModelInfo info;
  info.id = id;
  info.model_type = c.model_type;
  info.n_layers = static_cast<int>(c.num_hidden_layers);
  info.geometry = geometry;
  info.n_shared_experts = static_cast<int>(c.n_shared_experts);
  info.vocab_size = c.vocab_size;
  info.hidden_size = c.hidden_size;
  info.max_position_embeddings = c.max_position_embeddings;
  info.checkpoint_dtype = c.fp8 ? std::string("float8_e4m3fn") : c.torch_dtype;
  info.dtype = model->options().compute_dtype == at::kBFloat16 ? "bf16" : "fp32";
  for (const auto& d : model->devices().devices()) info.devices.push_back(d.str());
  if (info.devices.empty()) info.devices.push_back("cpu");
  info.device_map = model->devices().describe();
  if (chat_template) info.chat_template = chat_template->name();
  info.generation_defaults = {{"temperature", defaults.temperature},
                              {"top_p", defaults.top_p},
                              {"top_k", defaults.top_k},
                              {"eos_token_ids", defaults.eos_token_ids}};
  return info;
}

}  // namespace mote::server
