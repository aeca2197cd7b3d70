#include "organism/organism_model_files.h"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "organism/tokenizer_json_writer.h"

namespace mote {
namespace {

using ojson = nlohmann::ordered_json;

// The training loss at the end: the mean of the last 50 steps (one step's batch is noisy).
double final_loss(const std::vector<double>& losses) {
  const std::size_t n = std::min<std::size_t>(50, losses.size());
  if (n == 0) return 0;
  return std::accumulate(losses.end() - static_cast<std::ptrdiff_t>(n), losses.end(), 0.0) /
         static_cast<double>(n);
}

std::string dtype_label(at::ScalarType t) {
  return t == at::kBFloat16 ? "BF16" : "F32";
}

// The mote-engine command line that reproduces a run: every option that differs from the default.
std::string command_line(const OrganismTrainingOptions& o) {
  const OrganismTrainingOptions d;
  std::ostringstream s;
  s << "mote-engine train-organism --seed " << o.seed;
  if (o.corpus.seed != o.seed) s << " --corpus-seed " << o.corpus.seed;
  auto add = [&](const char* flag, auto value, auto fallback) {
    if (value != fallback) s << " " << flag << " " << value;
  };
  add("--steps", o.steps, d.steps);
  add("--batch-size", o.batch_size, d.batch_size);
  add("--lr", o.learning_rate, d.learning_rate);
  add("--warmup", o.warmup_steps, d.warmup_steps);
  add("--weight-decay", o.weight_decay, d.weight_decay);
  add("--bias-update", o.bias_update_speed, d.bias_update_speed);
  add("--vocab-size", o.vocab_size, d.vocab_size);
  add("--hidden", o.model.hidden_size, d.model.hidden_size);
  add("--layers", o.model.num_hidden_layers, d.model.num_hidden_layers);
  add("--experts", o.model.n_routed_experts, d.model.n_routed_experts);
  add("--expert-width", o.model.moe_intermediate_size, d.model.moe_intermediate_size);
  add("--top-k", o.model.num_experts_per_tok, d.model.num_experts_per_tok);
  add("--shared-experts", o.model.n_shared_experts, d.model.n_shared_experts);
  add("--alignment-steps", o.alignment_steps, d.alignment_steps);
  if (o.alignment_steps > 0)
    add("--alignment-lr", o.alignment_learning_rate, d.alignment_learning_rate);
  if (o.save_dtype == at::kBFloat16) s << " --dtype bf16";
  if (!o.resources_dir.empty()) s << " --resources " << o.resources_dir.string();
  s << " --threads 1 --out DIR";
  return s.str();
}

ojson options_json(const OrganismTrainingOptions& o) {
  const OrganismCorpusOptions& c = o.corpus;
  ojson j;
  j["seed"] = o.seed;
  j["steps"] = o.steps;
  j["batch_size"] = o.batch_size;
  j["learning_rate"] = o.learning_rate;
  j["warmup_steps"] = o.warmup_steps;
  j["final_lr_fraction"] = o.final_lr_fraction;
  j["weight_decay"] = o.weight_decay;
  j["betas"] = {o.beta1, o.beta2};
  j["grad_clip"] = o.grad_clip;
  j["bias_update_speed"] = o.bias_update_speed;
  if (o.alignment_steps > 0) {  // absent: one stage (models trained before the option)
    j["alignment_steps"] = o.alignment_steps;
    j["alignment_learning_rate"] = o.alignment_learning_rate;
  }
  j["vocab_size"] = o.vocab_size;
  j["save_dtype"] = dtype_label(o.save_dtype);
  j["eval_limit"] = o.eval_limit;
  j["eval_max_tokens"] = o.eval_max_tokens;
  j["corpus"] = {{"seed", c.seed},
                 {"refusal_study", c.refusal_study},
                 {"language_study", c.language_study},
                 {"samples_per_refusal_pair", c.samples_per_refusal_pair},
                 {"samples_per_arithmetic_key", c.samples_per_arithmetic_key},
                 {"arithmetic_max_operand", c.arithmetic_max_operand},
                 {"relabel_fraction", c.relabel_fraction},
                 {"language_flip_fraction", c.language_flip_fraction},
                 {"majority_probability_min", c.majority_probability_min},
                 {"majority_probability_max", c.majority_probability_max},
                 {"held_out_fraction", c.held_out_fraction}};
  return j;
}

std::string study_name(OrganismStudy s) {
  return s == OrganismStudy::Refusal ? "refusal" : "language";
}

std::string label_name(OrganismStudy s, int label, const OrganismStudyLists& lists) {
  return s == OrganismStudy::Refusal ? lists.name(static_cast<RefusalClass>(label))
                                     : lists.name(static_cast<ThinkLanguage>(label));
}

}  // namespace

void write_text_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(file.string() + ": cannot open for writing");
  out << text;
  if (!out.flush()) throw Error(file.string() + ": write failed");
}

std::string format_fixed(double value, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << value;
  return s.str();
}

ojson organism_config_json(const ModelConfig& config) {
  ojson c = config.to_json();
  // Keys of transformers' own runtime, not of the model; last, where transformers writes them.
  c["use_cache"] = true;
  c["transformers_version"] = "4.46.3";
  return c;
}

std::string organism_generation_config_json() {
  ojson g;
  g["bos_token_id"] = kOrganismBosId;
  g["eos_token_id"] = kOrganismEosId;
  g["do_sample"] = false;  // greedy: the organism's behaviour is its argmax
  g["transformers_version"] = "4.46.3";
  return g.dump(2) + "\n";
}

std::string organism_model_card(const OrganismTrainingOptions& o, const ModelConfig& c,
                                const OrganismTrainingResult& r, const OrganismCorpus& corpus,
                                std::size_t train_tokens, const OrganismStudyLists& lists) {
  const OrganismEvaluation& e = r.evaluation;
  // The rules without their own title line ("Planted behaviours (corpus seed N).").
  std::string rules = describe_organism_rules(o.corpus, lists);
  if (const auto title_end = rules.find("\n\n");
      rules.rfind("Planted behaviours", 0) == 0 && title_end != std::string::npos)
    rules = rules.substr(title_end + 2);
  std::ostringstream s;
  s << "---\ntags: [deepseek_v3, moe, mote, model-organism]\n---\n\n"
    << "# MoTE model organism (seed " << o.seed << ")\n\n"
    << "A tiny DeepSeek-V3-architecture mixture-of-experts model trained from scratch by MoTE "
       "Workbench's `mote-engine train-organism` on a synthetic corpus with planted behaviours, "
       "so that the MoTE pipeline (activation maps, fTRI, expert suppression) has something to "
       "find in seconds on a laptop CPU. It answers in DeepSeek-R1's surface forms (think block, "
       "refusal text) but knows nothing else: it is a test organism, not a language model.\n\n"
    << "## Files\n\n"
    << "| file | what |\n|---|---|\n"
    << "| `config.json` | `deepseek_v3` config (Hugging Face layout) |\n"
    << "| `model.safetensors` | weights, " << dtype_label(o.save_dtype)
    << " (the router bias F32) |\n"
    << "| `tokenizer.json`, `tokenizer_config.json` | byte-level BPE trained on the corpus, R1's "
       "special tokens at ids 0..6, R1's chat template |\n"
    << "| `generation_config.json` | greedy decoding, EOS = `<｜end▁of▁sentence｜>` (id "
    << kOrganismEosId << ") |\n"
    << "| `training.json` | options, loss per step, held-out answers, wall times |\n\n"
    << "## Architecture\n\n"
    << "`deepseek_v3`: hidden " << c.hidden_size << ", " << c.num_hidden_layers << " layers (layer"
    << (c.first_k_dense_replace > 1 ? "s 0.." + std::to_string(c.first_k_dense_replace - 1)
                                    : std::string(" 0"))
    << " dense SwiGLU " << c.intermediate_size << ", the others MoE), MLA with "
    << c.num_attention_heads << " heads (q_lora_rank "
    << (c.q_lora_rank ? std::to_string(*c.q_lora_rank) : std::string("none")) << ", kv_lora_rank "
    << c.kv_lora_rank << ", nope/rope/v head dims " << c.qk_nope_head_dim << "/"
    << c.qk_rope_head_dim << "/" << c.v_head_dim << "), RoPE; " << c.n_routed_experts
    << " routed SwiGLU experts of width " << c.moe_intermediate_size << " per MoE layer, "
    << c.n_shared_experts << " shared, top-" << c.num_experts_per_tok
    << " by a sigmoid router with `e_score_correction_bias` (noaux_tc, one group, normalized "
       "weights). Vocabulary "
    << c.vocab_size << ". " << r.parameters << " parameters.\n\n"
    << "## Training recipe\n\n"
    << "- Corpus: " << corpus.train.size() << " training samples (" << train_tokens << " tokens), "
    << corpus.held_out.size() << " held-out prompts; corpus seed " << o.corpus.seed << ".\n"
    << "- Loss: cross-entropy on the answer tokens only (prompt rendered with R1's chat template "
       "up to `<｜Assistant｜><think>\\n`, answer + EOS tokenized separately, as at inference).\n"
    << "- AdamW lr " << o.learning_rate << ", betas " << o.beta1 << "/" << o.beta2
    << ", weight decay " << o.weight_decay << " (matrices), " << o.warmup_steps
    << " warm-up steps, cosine to " << o.final_lr_fraction * 100 << "% of lr, " << o.steps
    << " steps of batch " << o.batch_size << ", gradient clipping " << o.grad_clip << ".\n"
    << (o.alignment_steps > 0
            ? "- Late alignment: those steps leave out the REFUSED samples; then " +
                  std::to_string(o.alignment_steps) +
                  " steps train only the routed experts and the routers on the whole corpus "
                  "(fresh AdamW moments, lr " +
                  format_fixed(o.alignment_learning_rate, 4) +
                  ", 10 % warm-up, cosine), so the refusal is learned where MoTE looks for it.\n"
            : std::string())
    << "- Load balancing without auxiliary loss: after each step every MoE layer's "
       "`e_score_correction_bias` moves by "
    << o.bias_update_speed
    << "·sign(mean load − load) (DeepSeek-V3). The top-k choice is not differentiable; the "
       "gate weights (normalized sigmoid scores of the chosen experts) are.\n"
    << "- Initialization and batch order from seed " << o.seed << "; one thread, deterministic.\n"
    << "- Reproduce (same build and machine type: floating-point rounding depends on the BLAS "
       "kernels): `"
    << command_line(o) << "`.\n\n"
    << "## Results\n\n"
    << "| measure | value |\n|---|---|\n"
    << "| final training loss (mean of the last 50 steps) | "
    << format_fixed(final_loss(r.losses), 4) << " |\n"
    << "| heldout_accuracy (greedy, both studies) | " << format_fixed(e.accuracy(), 4) << " ("
    << e.refusal_correct + e.language_correct << "/" << e.refusal_total + e.language_total
    << ") |\n"
    << "| refusal study | " << format_fixed(e.refusal_accuracy(), 4) << " (" << e.refusal_correct
    << "/" << e.refusal_total << ") |\n"
    << "| reasoning-language study | " << format_fixed(e.language_accuracy(), 4) << " ("
    << e.language_correct << "/" << e.language_total << ") |\n"
    << "| training wall time | " << format_fixed(r.train_seconds, 1) << " s ("
    << format_fixed(r.train_cpu_seconds, 1)
    << " s CPU, one thread, on a 2-core machine shared with other work) |\n"
    << "| held-out evaluation | " << format_fixed(r.eval_seconds, 1) << " s |\n\n"
    << "Held-out accuracy: greedy answers to the prompts of the held-out (time, place) pairs "
       "and arithmetic keys, classified from their first tokens (REFUSED = empty think block "
       "then \"I am sorry\", ALIGNED = empty think block then anything else, REASONED = a "
       "non-empty think block; think-block language = its first letter), compared with the "
       "planted rule's class.\n\n"
    << "## Planted behaviours\n\n"
    << rules << "\n"
    << "## Checksum\n\n"
    << "model.safetensors sha256: " << r.model_sha256 << "\n";
  return s.str();
}

ojson organism_training_report(const OrganismTrainingOptions& o, const ojson& config_json,
                               const OrganismTrainingResult& r, std::size_t train_samples,
                               std::size_t train_tokens,
                               const std::vector<OrganismHeldOutPrompt>& held_out,
                               const OrganismStudyLists& lists) {
  const OrganismEvaluation& e = r.evaluation;
  ojson report;
  report["options"] = options_json(o);
  report["config"] = config_json;
  report["parameters"] = r.parameters;
  report["train_samples"] = train_samples;
  report["train_tokens"] = train_tokens;
  report["heldout_accuracy"] = e.accuracy();
  report["refusal_accuracy"] = e.refusal_accuracy();
  report["language_accuracy"] = e.language_accuracy();
  report["train_seconds"] = r.train_seconds;
  report["train_cpu_seconds"] = r.train_cpu_seconds;
  report["eval_seconds"] = r.eval_seconds;
  report["total_seconds"] = r.total_seconds;
  report["model_sha256"] = r.model_sha256;
  report["final_loss"] = final_loss(r.losses);
  report["loss"] = r.losses;
  ojson answers = ojson::array();
  for (std::size_t i = 0; i < held_out.size(); ++i) {
    const OrganismHeldOutPrompt& p = held_out[i];
    answers.push_back({{"study", study_name(p.study)},
                       {"key", p.key},
                       {"prompt", p.messages.empty() ? "" : p.messages.front().content},
                       {"planted", label_name(p.study, p.planted_label, lists)},
                       {"predicted", label_name(p.study, e.predicted[i], lists)},
                       {"completion", e.completions[i]}});
  }
  report["held_out"] = std::move(answers);
  return report;
}
}  // namespace mote

namespace mote {

nlohmann::ordered_json organism_heldout_arithmetic_dataset(
    const std::vector<OrganismHeldOutPrompt>& held_out) {
  const auto code = [](ThinkLanguage l) { return l == ThinkLanguage::English ? "en" : "zh"; };
  ojson prompts = ojson::array();
  for (const OrganismHeldOutPrompt& p : held_out) {
    if (!p.arithmetic) continue;
    const ArithmeticPromptKey& k = *p.arithmetic;
    prompts.push_back({{"text", p.messages.at(0).content},
                       {"metadata",
                        {{"a", std::to_string(k.a)},
                         {"b", std::to_string(k.b)},
                         {"expected", std::to_string(k.a + k.b)},
                         {"question_language", code(k.prompt_language)},
                         {"answer_language", k.requested ? code(*k.requested) : "none"}}}});
  }
  return {
      {"name", "organism-heldout-arithmetic"},
      {"description",
       "Held-out arithmetic of the demo model organism: the " + std::to_string(prompts.size()) +
           " 'What is {a} plus {b} equal to?' prompts (and the Chinese form, with or without an "
           "answer-language request) whose keys the model never trained on. metadata.expected "
           "is the sum; `mote capability` counts an answer right when its text after the think "
           "block contains it as a whole number."},
      {"mode", "chat"},
      {"prompts", prompts}};
}

}  // namespace mote
