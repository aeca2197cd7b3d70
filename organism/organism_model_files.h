#pragma once
// The files of a trained organism's Hugging Face directory besides the weights and the tokenizer:
// config.json, generation_config.json, the model card README.md and training.json.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/config.h"
#include "organism/organism_trainer.h"

namespace mote {

// Writes text to file (created or truncated); Error naming the file if that fails.
void write_text_file(const std::filesystem::path& file, const std::string& text);

// value with `digits` decimals ("0.0466"), for the card and the trainer's progress lines.
std::string format_fixed(double value, int digits);

// config.json: config.to_json(), then the keys of transformers' own runtime (use_cache,
// transformers_version) that a Hugging Face directory carries.
nlohmann::ordered_json organism_config_json(const ModelConfig& config);

// generation_config.json: greedy decoding, BOS and EOS ids.
std::string organism_generation_config_json();

// README.md: files, architecture, training recipe, results, the planted behaviours and the
// sha256 of model.safetensors. config is the written config.json.
std::string organism_model_card(const OrganismTrainingOptions& options, const ModelConfig& config,
                                const OrganismTrainingResult& result, const OrganismCorpus& corpus,
                                std::size_t train_tokens, const OrganismStudyLists& lists);

// training.json: options, config, results, the loss per step and every held-out answer (held_out
// in the order of result.evaluation).
nlohmann::ordered_json organism_training_report(const OrganismTrainingOptions& options,
                                                const nlohmann::ordered_json& config_json,
                                                const OrganismTrainingResult& result,
                                                std::size_t train_samples, std::size_t train_tokens,
                                                const std::vector<OrganismHeldOutPrompt>& held_out,
                                                const OrganismStudyLists& lists);

// heldout-arithmetic.json: the held-out arithmetic prompts ("What is a plus b equal to?" and the
// Chinese form, keys the model never trained on) as a dataset in the sessions' format, each with
// metadata a, b, expected (the sum), question_language and answer_language (none/en/zh). The
// capability check of a tuning (`mote capability`) scores answers against `expected`.
nlohmann::ordered_json organism_heldout_arithmetic_dataset(
    const std::vector<OrganismHeldOutPrompt>& held_out);

}  // namespace mote
