// Sampling: greedy at temperature 0, seeded reproducibility, and the top-k / top-p cut-offs.
#include <catch2/catch.hpp>

#include <map>

#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/sampler.h"
#include "test_support.h"

using namespace mote;

TEST_CASE("temperature 0 is argmax", "[sampler]") {
  Sampler s(SamplingParams{});
  CHECK(s.next(at::tensor({0.1f, 3.0f, -2.0f, 2.9f})) == 1);
}

TEST_CASE("top-k 1 and a tiny top-p both reduce to argmax", "[sampler]") {
  at::Tensor logits = at::tensor({0.5f, 1.0f, 0.9f, 0.2f});
  Sampler k1(SamplingParams{1.0, 1.0, 1, 7});
  Sampler p0(SamplingParams{1.0, 1e-6, 0, 7});
  for (int i = 0; i < 50; ++i) {
    CHECK(k1.next(logits) == 1);
    CHECK(p0.next(logits) == 1);
  }
}

TEST_CASE("sampling follows the softmax and top-p drops the tail", "[sampler]") {
  // p = softmax(log([0.5, 0.3, 0.15, 0.05])): top_p 0.8 keeps ids 0 and 1 only (0.5 + 0.3 >= 0.8).
  at::Tensor logits = at::log(at::tensor({0.5f, 0.3f, 0.15f, 0.05f}));
  std::map<int64_t, int> full, nucleus;
  Sampler a(SamplingParams{1.0, 1.0, 0, 11}), b(SamplingParams{1.0, 0.8, 0, 11});
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    ++full[a.next(logits)];
    ++nucleus[b.next(logits)];
  }
  CHECK(full[0] / double(n) == Approx(0.5).margin(0.04));
  CHECK(full[3] / double(n) == Approx(0.05).margin(0.02));
  CHECK(nucleus.count(2) == 0);
  CHECK(nucleus.count(3) == 0);
  CHECK(nucleus[0] / double(n) == Approx(0.5 / 0.8).margin(0.04));
}

TEST_CASE("a seed reproduces a sampled completion, another seed changes it", "[sampler][model]") {
  Generator gen(Transformer::load(test::v3_tiny_dir()));
  GenerationRequest req;
  req.prompt = {3, 1, 4, 1, 5, 9, 2, 6};
  req.max_tokens = 24;
  req.sampling = SamplingParams{1.0, 0.95, 0, 1234};
  auto first = gen.generate(req).tokens;
  CHECK(gen.generate(req).tokens == first);
  req.sampling.seed = 4321;
  CHECK(gen.generate(req).tokens != first);
}

TEST_CASE("generation stops on a stop id and reports cancellation", "[sampler][model]") {
  Generator gen(Transformer::load(test::v3_tiny_dir()));
  GenerationRequest req;
  req.prompt = {3, 1, 4, 1, 5, 9, 2, 6};
  req.max_tokens = 10;
  auto greedy = gen.generate(req).tokens;
  req.stop_token_ids = {greedy[3]};
  auto stopped = gen.generate(req);
  CHECK(stopped.finish_reason == "stop");
  CHECK(stopped.tokens.size() <= 4);
  CHECK(stopped.tokens.back() == greedy[3]);
  req.stop_token_ids.clear();
  int calls = 0;
  auto cancelled = gen.generate(req, [&](const GenerationEvent&) { return ++calls < 2; });
  CHECK(cancelled.finish_reason == "cancelled");
  CHECK(cancelled.tokens.size() == 2);
  CHECK_THROWS_AS(Sampler(SamplingParams{-1.0, 1.0, 0, 0}), Error);
  CHECK_THROWS_AS(Sampler(SamplingParams{1.0, 0.0, 0, 0}), Error);
}
