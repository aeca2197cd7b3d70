// Continuous batching is invisible in fp32: a sequence generated among others (mixed tunings,
// ragged prompt lengths, joining while others are mid-stream, leaving early) gets exactly the
// tokens, routing ids and weights it gets alone. Runs on the shipped demo model (fp32).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "engine/error.h"
#include "engine/model/batch_scheduler.h"
#include "engine/model/generation.h"
#include "protocol/resources_dir.h"

using namespace mote;

namespace {

std::shared_ptr<Transformer> demo_model() {
  static std::shared_ptr<Transformer> model =
      Transformer::load(find_resources_dir() / "models" / "mote-organism");
  return model;
}

// Three tunings: none, suppress (the experts the untuned model uses most on its first prompt
// tokens, so the tuning changes routing), stimulate.
std::vector<std::shared_ptr<const CompiledTuning>> tunings(const Transformer& m) {
  TuningSpec suppress, stimulate;
  for (int layer = 1; layer < 5; ++layer) {
    suppress.suppress.push_back({layer, 3 * layer});
    suppress.suppress.push_back({layer, 100 + layer});
    stimulate.stimulate.push_back({layer, 7 * layer + 1});
  }
  suppress.stimulate.push_back({2, 50});
  return {nullptr, CompiledTuning::shared(suppress, m.config()),
          CompiledTuning::shared(stimulate, m.config())};
}

std::vector<GenerationRequest> requests(const Transformer& m, int n) {
  const auto t = tunings(m);
  std::vector<GenerationRequest> out;
  for (int i = 0; i < n; ++i) {
    GenerationRequest r;
    const int len = 2 + (i * 7) % 23;  // ragged prompts
    for (int j = 0; j < len; ++j) r.prompt.push_back(5 + (i * 31 + j * 17) % 700);
    r.max_tokens = 6 + i % 9;  // they leave at different steps
    r.tuning = t[i % 3];
    r.capture = CaptureMode::Ids;
    if (i % 4 == 3) {  // some sample, each with its own seed
      r.sampling.temperature = 0.8;
      r.sampling.top_p = 0.9;
      r.sampling.seed = 1000 + i;
    }
    out.push_back(r);
  }
  return out;
}

void check_same(const GenerationResult& alone, const GenerationResult& batched) {
  CHECK(alone.tokens == batched.tokens);
  CHECK(alone.finish_reason == batched.finish_reason);
  REQUIRE(alone.routing.defined());
  REQUIRE(batched.routing.defined());
  CHECK(at::equal(alone.routing.ids, batched.routing.ids));
  CHECK(at::equal(alone.routing.weights, batched.routing.weights));
  CHECK(at::equal(alone.routing.ids_before, batched.routing.ids_before));
  CHECK(at::equal(alone.routing.weights_before, batched.routing.weights_before));
  CHECK(alone.routing.n_prompt == batched.routing.n_prompt);
}

}  // namespace

TEST_CASE("fp32: a sequence batched with others gets exactly what it gets alone", "[batching]") {
  auto model = demo_model();
  const auto reqs = requests(*model, 12);
  Generator alone_gen(model);
  std::vector<GenerationResult> alone;
  for (const auto& r : reqs) alone.push_back(alone_gen.generate(r));

  // A long gather so every member is waited for: the batches are full and deterministic.
  BatchScheduler scheduler(model, 8, std::chrono::milliseconds(500));
  Generator gen(model, &scheduler);
  std::vector<GenerationResult> batched(reqs.size());
  // Mid-stream joins: request i starts once request 0 has produced i tokens (the first 8 overlap
  // with it; the rest start as others leave and queue beyond max_batch 8).
  std::atomic<int64_t> progress{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < reqs.size(); ++i) {
    threads.emplace_back([&, i] {
      if (i > 0)
        while (progress.load() < static_cast<int64_t>(std::min<size_t>(i, 5)))
          std::this_thread::yield();
      batched[i] = gen.generate(reqs[i], [&, i](const GenerationEvent& ev) {
        if (i == 0) progress = ev.index + 1;
        return true;
      });
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < reqs.size(); ++i) {
    INFO("request " << i);
    check_same(alone[i], batched[i]);
  }
  const auto stats = scheduler.stats();
  INFO("forwards " << stats.forwards << ", largest " << stats.largest);
  CHECK(stats.largest >= 4);  // batching did happen
  CHECK(stats.largest <= 8);  // and respected max_batch
  CHECK(stats.sequences > stats.forwards);
}

TEST_CASE("fp32: a cancelled neighbour changes nothing for the others", "[batching]") {
  auto model = demo_model();
  auto reqs = requests(*model, 4);
  for (auto& r : reqs) r.max_tokens = 10;
  Generator alone_gen(model);
  std::vector<GenerationResult> alone;
  for (const auto& r : reqs) alone.push_back(alone_gen.generate(r));
  BatchScheduler scheduler(model, 32, std::chrono::milliseconds(500));
  Generator gen(model, &scheduler);
  std::vector<GenerationResult> batched(reqs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < reqs.size(); ++i)
    threads.emplace_back([&, i] {
      batched[i] = gen.generate(reqs[i], [&, i](const GenerationEvent& ev) {
        return !(i == 1 && ev.index == 2);  // request 1 is cancelled after 3 tokens
      });
    });
  for (auto& t : threads) t.join();
  CHECK(batched[1].finish_reason == "cancelled");
  CHECK(batched[1].tokens ==
        std::vector<int64_t>(alone[1].tokens.begin(), alone[1].tokens.begin() + 3));
  for (size_t i : {0, 2, 3}) {
    INFO("request " << i);
    check_same(alone[i], batched[i]);
  }
}

TEST_CASE("packed prefill of ragged prompts matches each prompt alone", "[batching]") {
  auto model = demo_model();
  const auto reqs = requests(*model, 9);
  std::vector<std::vector<int64_t>> prompts;
  for (const auto& r : reqs) prompts.push_back(r.prompt);
  Generator gen(model);
  const auto t = tunings(*model);
  const auto packed = gen.prefill_batch(prompts, t[1].get(), 4);
  for (size_t i = 0; i < prompts.size(); ++i) {
    INFO("prompt " << i);
    const auto one = gen.prefill_batch({prompts[i]}, t[1].get(), 1);
    CHECK(at::equal(packed[i].last_logits, one[0].last_logits));
    CHECK(at::equal(packed[i].routing.ids, one[0].routing.ids));
    CHECK(at::equal(packed[i].routing.weights, one[0].routing.weights));
    CHECK(packed[i].routing.n_prompt == static_cast<int64_t>(prompts[i].size()));
    // The padded [1, T] forward gives the same numbers to fp32 rounding.
    KVCache cache = model->new_cache();
    ForwardOptions options;
    options.tuning = t[1].get();
    at::Tensor ref =
        model->forward(at::tensor(prompts[i], at::kLong).view({1, -1}), cache, options)[0];
    CHECK(at::allclose(packed[i].last_logits, ref, 1e-4, 1e-4));
  }
}

TEST_CASE("a step the model refuses fails its own caller only", "[batching]") {
  auto model = demo_model();
  BatchScheduler scheduler(model, 8);
  Generator gen(model, &scheduler);
  GenerationRequest bad;
  bad.prompt = {5, 6, model->config().vocab_size};  // out of range
  bad.max_tokens = 3;
  GenerationRequest good = requests(*model, 1)[0];
  GenerationResult good_result;
  std::thread t([&] { good_result = gen.generate(good); });
  CHECK_THROWS_AS(gen.generate(bad), Error);
  t.join();
  CHECK(static_cast<int64_t>(good_result.tokens.size()) >= 1);

  KVCache cache = model->new_cache();
  SequenceStep s;
  s.tokens = at::tensor(std::vector<int64_t>{1, 2}, at::kLong);
  s.cache = &cache;
  CHECK_THROWS_AS(model->forward_packed({s, s}), Error);  // one cache twice
}
