// The organism trainer: the engine's model trains through libtorch autograd on an in-memory
// checkpoint, a reduced training lowers the loss and writes a Hugging Face directory that the
// normal loaders read and generate from, training is deterministic for a seed, and the shipped
// checkpoint matches the sha256 its model card states.
#include <catch2/catch.hpp>

#include <fstream>
#include <numeric>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors.h"
#include "engine/checkpoint/sha256.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "engine/model/weight_layout.h"
#include "engine/server/server_model.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "organism/organism_model_files.h"
#include "organism/organism_trainer.h"
#include "test_support.h"

using namespace mote;

namespace {

// One thread (libtorch and OpenBLAS) for the scope of a test, then the previous count again.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : saved_(set_training_threads(threads)) {}
  ~ThreadScope() { set_training_threads(saved_); }

 private:
  int saved_;
};

// A model and corpus small enough to train in seconds.
OrganismTrainingOptions reduced_options(int64_t steps) {
  OrganismTrainingOptions o;
  o.seed = 7;
  o.corpus.seed = 7;
  o.corpus.samples_per_refusal_pair = 2;
  o.corpus.samples_per_arithmetic_key = 1;
  o.corpus.arithmetic_max_operand = 4;
  o.vocab_size = 384;
  o.model.hidden_size = 32;
  o.model.num_hidden_layers = 3;
  o.model.intermediate_size = 64;
  o.model.n_routed_experts = 8;
  o.model.moe_intermediate_size = 16;
  o.model.num_experts_per_tok = 2;
  o.model.num_attention_heads = 2;
  o.model.q_lora_rank = 16;
  o.model.kv_lora_rank = 16;
  o.model.qk_nope_head_dim = 8;
  o.model.qk_rope_head_dim = 4;
  o.model.v_head_dim = 8;
  o.steps = steps;
  o.batch_size = 16;
  o.warmup_steps = 5;
  o.learning_rate = 1e-2;
  o.eval_limit = 12;
  o.eval_max_tokens = 12;
  return o;
}

double mean(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(begin),
                         v.begin() + static_cast<std::ptrdiff_t>(end), 0.0) /
         static_cast<double>(end - begin);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The 64 hex digits after "model.safetensors sha256:" in a model card, or "" if none.
std::string card_sha256(const std::string& card) {
  std::smatch m;
  static const std::regex re("model\\.safetensors sha256: *`?([0-9a-f]{64})");
  return std::regex_search(card, m, re) ? m[1].str() : std::string();
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 test vectors", "[organism-training]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;  // a million 'a', fed in uneven pieces
  const std::string chunk(997, 'a');
  std::size_t left = 1000000;
  while (left > 0) {
    const std::size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  CHECK(h.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a model on an in-memory checkpoint computes with the given tensors and their gradients",
          "[organism-training]") {
  // v3-tiny's weights as float32 tensors in memory: the same forward as from the file.
  auto file_model = Transformer::load(test::v3_tiny_dir());
  auto file_ckpt = Checkpoint::open(test::v3_tiny_dir());
  std::map<std::string, at::Tensor> weights;
  for (const std::string& name : file_ckpt->names())
    weights[name] = file_ckpt->tensor(name).to(at::kFloat).clone();
  for (auto& [name, t] : weights)
    if (name.find("e_score_correction_bias") == std::string::npos) t.requires_grad_(true);
  auto memory_ckpt = Checkpoint::from_tensors(weights);
  CHECK(memory_ckpt->in_memory());
  CHECK_FALSE(file_ckpt->in_memory());
  const std::string router = "model.layers.1.mlp.gate.weight";
  CHECK(memory_ckpt->tensor(router).is_same(weights.at(router)));
  auto model = std::make_shared<Transformer>(file_model->config(), memory_ckpt, EngineOptions{},
                                             DeviceMap{});

  at::Tensor tokens = at::arange(1, 13, at::kLong).view({1, 12});
  KVCache c1 = file_model->new_cache(), c2 = model->new_cache();
  ForwardOptions opts;
  opts.all_logits = true;
  at::Tensor expected = file_model->forward(tokens, c1, opts);
  at::Tensor logits = model->forward(tokens, c2, opts);
  CHECK((logits.detach() - expected).abs().max().item<double>() < 1e-4);

  // Gradients reach the very tensors given: embedding, attention, router (through the gate
  // weights) and the routed experts that were selected.
  REQUIRE(logits.requires_grad());
  logits.pow(2).mean().backward();
  CHECK(weights.at("model.embed_tokens.weight").grad().defined());
  CHECK(weights.at("model.layers.1.self_attn.kv_b_proj.weight").grad().defined());
  REQUIRE(weights.at(router).grad().defined());
  CHECK(weights.at(router).grad().abs().sum().item<double>() > 0);
  int experts_with_grad = 0;
  for (int e = 0; e < file_model->config().n_routed_experts; ++e) {
    const at::Tensor& w =
        weights.at("model.layers.1.mlp.experts." + std::to_string(e) + ".down_proj.weight");
    if (w.grad().defined() && w.grad().abs().sum().item<double>() > 0) ++experts_with_grad;
  }
  CHECK(experts_with_grad >= file_model->config().num_experts_per_tok);
  CHECK_FALSE(weights.at("model.layers.1.mlp.gate.e_score_correction_bias").requires_grad());

  // Decoding (few rows, where inference takes the GEMV kernel) under no_grad still works.
  {
    at::NoGradGuard no_grad;
    KVCache c3 = model->new_cache();
    at::Tensor one = model->forward(tokens.narrow(1, 0, 1), c3);
    CHECK_FALSE(one.requires_grad());
  }
}

TEST_CASE("a reduced organism training lowers the loss and writes a loadable checkpoint",
          "[organism-training]") {
  ThreadScope threads(1);
  test::TempDir out("mote-organism");
  const OrganismTrainingOptions o = reduced_options(80);
  std::vector<std::string> lines;
  OrganismTrainingResult r =
      train_organism(o, out.path(), [&](const std::string& line) { lines.push_back(line); });

  REQUIRE(r.losses.size() == 80);
  const double first = mean(r.losses, 0, 5), last = mean(r.losses, 75, 80);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.6 * first);
  CHECK(r.parameters > 0);
  CHECK_FALSE(lines.empty());
  CHECK(lines.back().rfind("heldout_accuracy: ", 0) == 0);

  for (const char* f : {"config.json", "model.safetensors", "generation_config.json",
                        "tokenizer.json", "tokenizer_config.json", "README.md", "training.json"})
    CHECK(std::filesystem::exists(out / f));
  CHECK(r.model_sha256 == sha256_file_hex(out / "model.safetensors"));
  CHECK(card_sha256(read_text(out / "README.md")) == r.model_sha256);

  const auto report = nlohmann::json::parse(read_text(out / "training.json"));
  CHECK(report["loss"].size() == 80);
  CHECK(report["heldout_accuracy"].get<double>() == Approx(r.evaluation.accuracy()));
  CHECK(report["held_out"].size() == 12);
  CHECK(report["model_sha256"] == r.model_sha256);

  // The server's loader: config, weights, tokenizer, R1 chat template, greedy defaults.
  auto bundle = server::ModelBundle::load(out.path());
  CHECK(bundle->model->config().model_type == "deepseek_v3");
  CHECK(bundle->model->config().moe_layers() == std::vector<int64_t>{1, 2});
  REQUIRE(bundle->chat_template);
  CHECK(bundle->chat_template->kind() == ChatTemplate::Kind::DeepSeekR1);
  CHECK(bundle->defaults.temperature == 0.0);
  CHECK(bundle->defaults.eos_token_ids == std::vector<int64_t>{1});

  // It generates: a chat prompt of the corpus, greedy, through Transformer::load.
  auto model = Transformer::load(out.path());
  Generator generator(model);
  GenerationRequest req;
  req.prompt = bundle->tokenizer->encode(
      bundle->chat_template->render({{"user", "What happened in 1989 in Beijing?"}}, true));
  req.max_tokens = 8;
  req.stop_token_ids = {1};
  GenerationResult g = generator.generate(req);
  CHECK_FALSE(g.tokens.empty());
  for (int64_t id : g.tokens) CHECK(bundle->tokenizer->has_token(id));
}

TEST_CASE("organism training is deterministic for a seed", "[organism-training]") {
  ThreadScope threads(1);
  test::TempDir a("mote-organism-a"), b("mote-organism-b"), c("mote-organism-c");
  OrganismTrainingOptions o = reduced_options(4);
  o.eval_limit = 2;
  const OrganismTrainingResult ra = train_organism(o, a.path());
  const OrganismTrainingResult rb = train_organism(o, b.path());
  CHECK(ra.losses == rb.losses);
  CHECK(ra.model_sha256 == rb.model_sha256);
  CHECK(read_text(a / "tokenizer.json") == read_text(b / "tokenizer.json"));
  o.seed = 8;  // another initialization and batch order, the same corpus
  const OrganismTrainingResult rc = train_organism(o, c.path());
  CHECK(rc.model_sha256 != ra.model_sha256);
  CHECK(read_text(c / "tokenizer.json") == read_text(a / "tokenizer.json"));
}

TEST_CASE("late alignment trains only the routed experts and routers after pre-training",
          "[organism-training]") {
  ThreadScope threads(1);
  test::TempDir a("mote-organism-align-a"), b("mote-organism-align-b");
  OrganismTrainingOptions o = reduced_options(6);
  o.eval_limit = 2;
  o.alignment_steps = 4;
  std::vector<std::string> lines;
  const OrganismTrainingResult ra =
      train_organism(o, a.path(), [&](const std::string& line) { lines.push_back(line); });
  o.alignment_learning_rate = 3e-2;  // another alignment stage after the same pre-training
  const OrganismTrainingResult rb = train_organism(o, b.path());
  REQUIRE(ra.losses.size() == 10);
  CHECK(std::vector<double>(ra.losses.begin(), ra.losses.begin() + 6) ==
        std::vector<double>(rb.losses.begin(), rb.losses.begin() + 6));
  CHECK(ra.losses[6] == rb.losses[6]);  // the first alignment step's loss is before its update
  CHECK(ra.losses[7] != rb.losses[7]);
  bool left_out = false;
  for (const auto& line : lines)
    left_out |= line.find("REFUSED ones)") != std::string::npos &&
                line.find("(pre-training left out 0 ") == std::string::npos;
  CHECK(left_out);

  // The frozen weights are those pre-training left; only experts and routers moved.
  const ModelConfig config = ModelConfig::from_file(a / "config.json");
  const auto ca = Checkpoint::open(a.path()), cb = Checkpoint::open(b.path());
  std::size_t frozen = 0, trained = 0;
  for (const WeightSpec& w : weight_layout(config)) {
    INFO(w.name);
    const bool expert = w.name.find(".mlp.experts.") != std::string::npos ||
                        w.name.find(".mlp.gate.weight") != std::string::npos;
    const bool same = at::equal(ca->tensor(w.name), cb->tensor(w.name));
    if (w.kind == WeightKind::RouterBias) continue;  // balanced by hand in both stages
    if (expert) {
      trained += !same;
    } else {
      CHECK(same);
      ++frozen;
    }
  }
  CHECK(frozen > 10);
  CHECK(trained > 10);
  const auto report = nlohmann::json::parse(read_text(a / "training.json"));
  CHECK(report["options"]["alignment_steps"] == 4);
  CHECK(report["loss"].size() == 10);
  CHECK_THAT(read_text(a / "README.md"), Catch::Matchers::Contains("--alignment-steps 4"));
}

TEST_CASE("the shipped demo model matches its model card's sha256 and loads",
          "[organism-training]") {
  const std::filesystem::path dir = std::filesystem::path(MOTE_TEST_DATA_DIR) / ".." / ".." /
                                    "resources" / "models" / "mote-organism";
  INFO("shipped demo model: " << dir.string());
  REQUIRE(std::filesystem::is_regular_file(dir / "model.safetensors"));
  const std::string card_sum = card_sha256(read_text(dir / "README.md"));
  REQUIRE(card_sum.size() == 64);
  CHECK(sha256_file_hex(dir / "model.safetensors") == card_sum);
  const auto report = nlohmann::json::parse(read_text(dir / "training.json"));
  CHECK(report["model_sha256"] == card_sum);
  CHECK(report["heldout_accuracy"].get<double>() >= 0.85);

  auto bundle = server::ModelBundle::load(dir);
  CHECK(bundle->model->config().model_type == "deepseek_v3");
  CHECK(bundle->model->config().moe_layers().size() == 4);
  REQUIRE(bundle->chat_template);
  CHECK(bundle->chat_template->kind() == ChatTemplate::Kind::DeepSeekR1);
}

TEST_CASE("train-organism rejects bad options", "[organism-training][cli]") {
  const std::string exe = (test::bin_dir() / "mote-engine").string();
  test::TempDir out("mote-organism-cli");
  CHECK(test::run(exe + " train-organism --out " + out.path().string() +
                  " --steps 0 2>/dev/null") == 2);
  CHECK(test::run(exe + " train-organism --out " + out.path().string() +
                  " --dtype f16 2>/dev/null") == 2);
  CHECK(test::run(exe + " train-organism --seed -3 --out " + out.path().string() +
                  " 2>/dev/null") == 2);
  CHECK(test::run(exe + " train-organism --help > /dev/null") == 0);
  // A resources folder without the study's files: an error naming the file.
  test::TempDir resources("mote-organism-no-resources");
  const std::filesystem::path log = out / "stderr.txt";
  CHECK(test::run(exe + " train-organism --out " + (out / "model").string() + " --resources " +
                  resources.path().string() + " 2>" + log.string()) == 1);
  CHECK_THAT(read_text(log),
             Catch::Matchers::Contains((resources / "datasets/r1-refusal.json").string() +
                                       ": cannot open"));
}

TEST_CASE("the organism's config.json is ModelConfig::to_json and the shipped one byte for byte",
          "[organism-training]") {
  const std::filesystem::path shipped =
      std::filesystem::path(MOTE_SOURCE_DIR) / "resources" / "models" / "mote-organism";
  const ModelConfig config = ModelConfig::from_file(shipped / "config.json");
  CHECK(organism_config_json(config).dump(2) + "\n" == read_text(shipped / "config.json"));
  // The defaults with the shipped model's two changed options, its tokenizer and dtype.
  ModelConfig recipe = organism_model_config();
  recipe.n_routed_experts = 128;
  recipe.n_shared_experts = 1;
  recipe.vocab_size = config.vocab_size;
  CHECK(organism_config_json(recipe).dump(2) + "\n" == read_text(shipped / "config.json"));
}

TEST_CASE("the shipped organism checkpoint matches its model card", "[organism-training]") {
  const std::filesystem::path dir =
      std::filesystem::path(MOTE_SOURCE_DIR) / "resources" / "models" / "mote-organism";
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir.string() << " does not exist (no organism shipped yet)");
    return;
  }
  const std::string stated = card_sha256(read_text(dir / "README.md"));
  INFO("README.md must state 'model.safetensors sha256: <64 hex digits>'");
  REQUIRE(stated.size() == 64);
  CHECK(sha256_file_hex(dir / "model.safetensors") == stated);
  const auto report = nlohmann::json::parse(read_text(dir / "training.json"));
  CHECK(report["model_sha256"] == stated);
  CHECK(report["heldout_accuracy"].get<double>() >= 0.85);
  auto bundle = server::ModelBundle::load(dir);
  CHECK(bundle->model->config().model_type == "deepseek_v3");
  REQUIRE(bundle->chat_template);
  CHECK(bundle->chat_template->kind() == ChatTemplate::Kind::DeepSeekR1);
}
