// The server end to end: a live loopback server on the tiny model, driven with libcurl.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <thread>

#include "engine/model/generation.h"
#include "engine/tokenizer/tokenizer.h"
#include "server_test_support.h"

using namespace mote;
using namespace mote::test;
using nlohmann::json;

namespace {

// Greedy v3-tiny answers this prompt with 710 tokens before its EOS, so a generation of it
// outlasts whatever a test does meanwhile ("Tell me a long story" ends after 104 tokens, which
// made tests that cancel or queue behind a running stream race the EOS).
constexpr const char* kLongPrompt = "Hello";

json chat_body(const std::string& content, int max_tokens = 6) {
  return {{"model", "v3-tiny"},
          {"messages", {{{"role", "user"}, {"content", content}}}},
          {"max_tokens", max_tokens},
          {"temperature", 0}};
}

// The token ids the server feeds the engine for one user message.
std::vector<int64_t> chat_prompt_ids(const std::string& content) {
  auto b = tiny_bundle();
  return b->tokenizer->encode(b->chat_template->render({{"user", content}}, true));
}

}  // namespace

TEST_CASE("tiny tokenizer loads with R1's specials below the model's vocab", "[server]") {
  auto tok = Tokenizer::from_file(data_dir() / "tiny-tokenizer" / "tokenizer.json");
  CHECK(tok->vocab_size() <= 512);
  CHECK(tok->token_to_id("<｜begin▁of▁sentence｜>") == 0);
  CHECK(tok->token_to_id("<｜end▁of▁sentence｜>") == 1);
  CHECK(tok->token_to_id("<｜User｜>").has_value());
  CHECK(tok->token_to_id("</think>").has_value());
  const std::string text = "The quick brown fox, 1234 ünïcode 漢字!";
  CHECK(tok->decode(tok->encode(text)) == text);
  CHECK(tiny_bundle()->chat_template->kind() == ChatTemplate::Kind::DeepSeekR1);
  CHECK(tiny_bundle()->defaults.temperature == Approx(0.6));
  CHECK(tiny_bundle()->defaults.eos_token_ids == std::vector<int64_t>{1});
}

TEST_CASE("model routes describe the model", "[server]") {
  LiveServer s;
  auto models = http("GET", s.url("/v1/models"));
  REQUIRE(models.status == 200);
  CHECK(models.json()["data"][0]["id"] == "v3-tiny");
  auto info = http("GET", s.url("/mote/v1/model"));
  REQUIRE(info.status == 200);
  const json j = info.json();
  CHECK(j["layers"] == 4);
  CHECK(j["moe_layers"] == json::array({1, 2, 3}));
  CHECK(j["experts_per_layer"] == 16);
  CHECK(j["top_k"] == 4);
  CHECK(j["n_shared_experts"] == 1);
  CHECK(j["dtype"] == "fp32");
  CHECK(j["devices"] == json::array({"cpu"}));
  CHECK(http("GET", s.url("/mote/v1/health")).status == 200);
  auto missing = http("GET", s.url("/nope"));
  CHECK(missing.status == 404);
  CHECK(missing.json()["error"]["code"] == "not_found");
}

TEST_CASE("non-streamed chat follows the OpenAI shape and the engine's greedy tokens", "[server]") {
  LiveServer s;
  auto r = post(s.url("/v1/chat/completions"), chat_body("Hello, how are you?", 5));
  REQUIRE(r.status == 200);
  const json j = r.json();
  CHECK(j["object"] == "chat.completion");
  CHECK(j["model"] == "v3-tiny");
  CHECK(j["choices"][0]["message"]["role"] == "assistant");
  CHECK(j["choices"][0]["message"]["content"].is_string());
  CHECK_FALSE(j.contains("mote"));
  const auto prompt = chat_prompt_ids("Hello, how are you?");
  CHECK(j["usage"]["prompt_tokens"] == prompt.size());
  // The same greedy generation straight on the engine.
  Generator g(tiny_bundle()->model);
  GenerationRequest req;
  req.prompt = prompt;
  req.max_tokens = 5;
  req.stop_token_ids = {1};
  auto direct = g.generate(req);
  std::vector<int64_t> text_ids;
  for (auto t : direct.tokens)
    if (t != 1) text_ids.push_back(t);
  CHECK(j["choices"][0]["message"]["content"] == tiny_bundle()->tokenizer->decode(text_ids, true));
  CHECK(j["usage"]["completion_tokens"] == direct.tokens.size());
  CHECK(j["choices"][0]["finish_reason"] == (direct.finish_reason == "stop" ? "stop" : "length"));
}

TEST_CASE("streamed chat is SSE ending with [DONE], same text as non-streamed", "[server]") {
  LiveServer s;
  json body = chat_body("Tell me a story", 8);
  const auto plain = post(s.url("/v1/chat/completions"), body).json();
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto r = post(s.url("/v1/chat/completions"), body);
  REQUIRE(r.status == 200);
  CHECK(r.content_type.find("text/event-stream") == 0);
  auto events = sse_data(r.body);
  REQUIRE(events.size() >= 3);
  CHECK(events.back() == "[DONE]");
  std::string text;
  json finish;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json e = json::parse(events[i]);
    CHECK(e["object"] == "chat.completion.chunk");
    if (e["choices"].empty()) {
      CHECK(e["usage"]["completion_tokens"] == plain["usage"]["completion_tokens"]);
      continue;
    }
    if (i == 0) CHECK(e["choices"][0]["delta"]["role"] == "assistant");
    if (e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
  }
  CHECK(text == plain["choices"][0]["message"]["content"]);
  CHECK(finish == plain["choices"][0]["finish_reason"]);
}

TEST_CASE("completions take raw text or token ids", "[server]") {
  LiveServer s;
  auto r = post(s.url("/v1/completions"),
                {{"prompt", "The moon is"}, {"max_tokens", 4}, {"temperature", 0}});
  REQUIRE(r.status == 200);
  CHECK(r.json()["object"] == "text_completion");
  CHECK(r.json()["choices"][0]["text"].is_string());
  auto ids = post(s.url("/v1/completions"),
                  {{"prompt", {5, 6, 7}}, {"max_tokens", 2}, {"seed", 3}, {"temperature", 1.0}});
  REQUIRE(ids.status == 200);
  CHECK(ids.json()["usage"]["prompt_tokens"] == 3);
  // Same seed, same sample.
  auto again = post(s.url("/v1/completions"),
                    {{"prompt", {5, 6, 7}}, {"max_tokens", 2}, {"seed", 3}, {"temperature", 1.0}});
  CHECK(again.json()["choices"][0]["text"] == ids.json()["choices"][0]["text"]);
  CHECK(post(s.url("/v1/completions"), {{"prompt", {5, 600}}}).status == 400);
}

TEST_CASE("capture returns every token's routing and the prompt counts", "[server]") {
  LiveServer s;
  json body = chat_body("What is the capital of France?", 4);
  body["mote"] = {{"capture", "ids+weights"}};
  auto r = post(s.url("/v1/chat/completions"), body);
  REQUIRE(r.status == 200);
  const json m = r.json()["mote"];
  const auto prompt = chat_prompt_ids("What is the capital of France?");
  const int64_t n = static_cast<int64_t>(prompt.size());
  CHECK(m["moe_layers"] == json::array({1, 2, 3}));
  CHECK(m["top_k"] == 4);
  const json& rows = m["routing"];
  const int64_t completion = r.json()["usage"]["completion_tokens"];
  REQUIRE(static_cast<int64_t>(rows.size()) ==
          n + completion - 1);  // the last token is never processed
  for (int64_t p = 0; p < static_cast<int64_t>(rows.size()); ++p) {
    CHECK(rows[p]["position"] == p);
    CHECK(rows[p]["is_prompt"] == (p < n));
    CHECK(rows[p]["ids"].size() == 3 * 4);
    CHECK(rows[p]["weights"].size() == 3 * 4);
  }
  CHECK(rows[0]["token"] == prompt[0]);
  // Counts = for each MoE layer, the prompt tokens that selected each expert.
  const json& counts = m["prompt_counts"];
  REQUIRE(counts.size() == 3);
  for (int l = 0; l < 3; ++l) {
    std::vector<int64_t> expect(16, 0);
    for (int64_t p = 0; p < n; ++p)
      for (int k = 0; k < 4; ++k) expect[rows[p]["ids"][l * 4 + k].get<int64_t>()]++;
    CHECK(counts[l].get<std::vector<int64_t>>() == expect);
  }
  // ids only: no weights; capture none: no routing.
  body["mote"] = {{"capture", "ids"}};
  const json ids_only = post(s.url("/v1/chat/completions"), body).json()["mote"];
  CHECK_FALSE(ids_only["routing"][0].contains("weights"));
  CHECK(ids_only["routing"] == [&] {
    json stripped = rows;
    for (auto& row : stripped) row.erase("weights");
    return stripped;
  }());
  body["mote"] = {{"capture", "none"}};
  const json none = post(s.url("/v1/chat/completions"), body).json()["mote"];
  CHECK_FALSE(none.contains("routing"));
}

TEST_CASE("streamed capture puts each forward call's rows in its token's chunk", "[server]") {
  LiveServer s;
  json body = chat_body("Write a poem about the moon.", 5);
  body["mote"] = {{"capture", "ids"}};
  const json plain = post(s.url("/v1/chat/completions"), body).json();
  body["stream"] = true;
  auto events = sse_data(post(s.url("/v1/chat/completions"), body).body);
  json rows = json::array();
  json counts;
  int token_chunks = 0;
  for (const auto& e : events) {
    if (e == "[DONE]") break;
    const json j = json::parse(e);
    if (!j.contains("mote") || !j["mote"].contains("routing")) continue;
    ++token_chunks;
    for (const auto& row : j["mote"]["routing"]) rows.push_back(row);
    if (j["mote"].contains("prompt_counts")) counts = j["mote"]["prompt_counts"];
  }
  CHECK(token_chunks == plain["usage"]["completion_tokens"]);
  CHECK(rows == plain["mote"]["routing"]);
  CHECK(counts == plain["mote"]["prompt_counts"]);
}

TEST_CASE("tuning changes the routing exactly as the engine does for the same tokens", "[server]") {
  LiveServer s;
  const std::string content = "Explain how a transformer works";
  const auto prompt = chat_prompt_ids(content);
  const json tuning = {{"suppress", {{1, 3}, {2, 7}, {3, 0}}}, {"stimulate", {{2, 11}, {3, 5}}}};
  json body = chat_body(content, 6);
  body["mote"] = {{"tuning", tuning}, {"capture", "ids+weights"}};
  auto r = post(s.url("/v1/chat/completions"), body);
  REQUIRE(r.status == 200);
  const json m = r.json()["mote"];
  CHECK(m["tuning"] == tuning);

  const auto bundle = tiny_bundle();
  Generator g(bundle->model);
  GenerationRequest req;
  req.prompt = prompt;
  req.max_tokens = 6;
  req.stop_token_ids = {1};
  req.tuning = CompiledTuning::shared(TuningSpec::from_json(tuning), bundle->model->config());
  req.capture = CaptureMode::IdsAndWeights;
  auto direct = g.generate(req);
  const at::Tensor ids =
      direct.routing.ids.permute({1, 0, 2}).reshape({direct.routing.tokens(), -1});
  const at::Tensor w =
      direct.routing.weights.permute({1, 0, 2}).reshape({direct.routing.tokens(), -1});
  REQUIRE(m["routing"].size() == static_cast<size_t>(direct.routing.tokens()));
  for (int64_t p = 0; p < direct.routing.tokens(); ++p) {
    const json& row = m["routing"][p];
    for (int64_t i = 0; i < 12; ++i) {
      CHECK(row["ids"][i] == ids[p][i].item<int64_t>());
      CHECK(row["weights"][i].get<double>() ==
            Approx(w[p][i].item<float>()).epsilon(1e-4).margin(1e-7));
    }
    // Suppressed experts carry weight 0; stimulated ones are always selected.
    for (int64_t k = 0; k < 4; ++k) {
      if (row["ids"][0 * 4 + k] == 3) CHECK(row["weights"][0 * 4 + k] == 0.0);
    }
    bool has_11 = false, has_5 = false;
    for (int64_t k = 0; k < 4; ++k) {
      has_11 |= row["ids"][1 * 4 + k] == 11;
      has_5 |= row["ids"][2 * 4 + k] == 5;
    }
    CHECK(has_11);
    CHECK(has_5);
    CHECK(row.contains("ids_before"));
  }
  // And the tuning made a difference against the untuned run.
  body["mote"] = {{"capture", "ids"}};
  const json untuned = post(s.url("/v1/chat/completions"), body).json()["mote"];
  CHECK(untuned["routing"][0]["ids"] != m["routing"][0]["ids"]);
  CHECK(untuned["routing"][0]["ids"] == m["routing"][0]["ids_before"]);
}

TEST_CASE("stop strings end the completion before the stop text", "[server]") {
  LiveServer s;
  const json plain = post(s.url("/v1/completions"),
                          {{"prompt", "The sky"}, {"max_tokens", 12}, {"temperature", 0}})
                         .json();
  const std::string text = plain["choices"][0]["text"];
  // A two-byte ASCII stop string from the middle of the greedy text (gibberish on this model).
  size_t at = 1;
  while (at + 1 < text.size() && !(std::isalnum(static_cast<unsigned char>(text[at])) &&
                                   std::isalnum(static_cast<unsigned char>(text[at + 1]))))
    ++at;
  REQUIRE(at + 1 < text.size());
  const std::string stop = text.substr(at, 2);
  const size_t cut = text.find(stop);
  for (bool stream : {false, true}) {
    auto r = post(s.url("/v1/completions"), {{"prompt", "The sky"},
                                             {"max_tokens", 12},
                                             {"temperature", 0},
                                             {"stop", stop},
                                             {"stream", stream}});
    REQUIRE(r.status == 200);
    std::string got;
    std::string finish;
    if (!stream) {
      got = r.json()["choices"][0]["text"];
      finish = r.json()["choices"][0]["finish_reason"];
    } else {
      for (const auto& e : sse_data(r.body)) {
        if (e == "[DONE]") break;
        const json j = json::parse(e);
        got += j["choices"][0]["text"].get<std::string>();
        if (!j["choices"][0]["finish_reason"].is_null()) finish = j["choices"][0]["finish_reason"];
      }
    }
    CHECK(got == text.substr(0, cut));
    CHECK(finish == "stop");
  }
}

TEST_CASE("errors are JSON with 400/401/404/413/415", "[server]") {
  server::ServerOptions o = LiveServer::quiet();
  o.api_key = "s3cret-key";
  o.limits.max_body_bytes = 4096;
  LiveServer s(o);
  const std::string auth = "Authorization: Bearer s3cret-key";
  auto no_key = http("GET", s.url("/v1/models"));
  CHECK(no_key.status == 401);
  CHECK(no_key.json()["error"]["type"] == "authentication_error");
  CHECK(http("GET", s.url("/v1/models"), "", {"Authorization: Bearer wrong"}).status == 401);
  CHECK(http("GET", s.url("/v1/models"), "", {"Authorization: Bearer s3cret-key2"}).status == 401);
  CHECK(http("GET", s.url("/v1/models"), "", {auth}).status == 200);
  CHECK(http("GET", s.url("/mote/v1/health")).status == 200);  // liveness needs no key
  auto big = http("POST", s.url("/v1/chat/completions"), std::string(10000, ' '),
                  {auth, "Content-Type: application/json"});
  CHECK(big.status == 413);
  CHECK(big.json()["error"]["code"] == "payload_too_large");
  auto bad = http("POST", s.url("/v1/chat/completions"), "{nope",
                  {auth, "Content-Type: application/json"});
  CHECK(bad.status == 400);
  CHECK(bad.json()["error"]["code"] == "invalid_json");
  auto form = http("POST", s.url("/v1/chat/completions"), "a=b",
                   {auth, "Content-Type: application/x-www-form-urlencoded"});
  CHECK(form.status == 415);
  auto expert = http(
      "POST", s.url("/v1/chat/completions"),
      R"({"messages": [{"role": "user", "content": "x"}], "mote": {"tuning": {"suppress": [[2, 99]]}}})",
      {auth, "Content-Type: application/json"});
  CHECK(expert.status == 400);
  CHECK(expert.json()["error"]["message"] == "tuning: suppress [2, 99]: expert out of range 0..15");
  // An expert listed twice: once a 200 here and an error in `mote`; now the one rule's 400, in the
  // words the CLI and the workbench use (tests/sessions/test_cli_e2e.cpp, tests/widgets).
  auto twice = http(
      "POST", s.url("/v1/chat/completions"),
      R"({"messages": [{"role": "user", "content": "x"}], "mote": {"tuning": {"suppress": [[1, 1], [1, 1]]}}})",
      {auth, "Content-Type: application/json"});
  CHECK(twice.status == 400);
  CHECK(twice.json()["error"]["code"] == "invalid_expert");
  CHECK(twice.json()["error"]["message"] == "tuning: suppress [1, 1] is listed twice");
  CHECK(http("GET", s.url("/v1/chat/completions"), "", {auth}).status == 404);
}

TEST_CASE("a full queue answers 429", "[server]") {
  server::ServerOptions o = LiveServer::quiet();
  o.limits.max_queue = 1;
  o.max_batch = 1;
  LiveServer s(o);
  // No timing assumptions: a streamed generation holds the engine until this test releases it
  // (its client aborts, which cancels it), and /mote/v1/health shows when the queue is full.
  std::atomic<bool> running{false}, release{false};
  std::thread holder([&] {
    json body = chat_body(kLongPrompt, 4000);
    body["stream"] = true;
    http("POST", s.url("/v1/chat/completions"), body.dump(), {"Content-Type: application/json"},
         [&](const std::string& got) {
           if (!sse_data(got).empty()) running = true;
           return !release.load();
         });
  });
  auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 3000 && !done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  };
  REQUIRE(wait_for([&] { return running.load(); }));
  std::atomic<long> queued_status{0};
  std::thread queued(
      [&] { queued_status = post(s.url("/v1/chat/completions"), chat_body("x", 2)).status; });
  REQUIRE(wait_for(
      [&] { return http("GET", s.url("/mote/v1/health"), "", {}).json()["queued"] == 1; }));
  auto r = post(s.url("/v1/chat/completions"), chat_body("y", 2));
  CHECK(r.status == 429);
  CHECK(r.json()["error"]["code"] == "queue_full");
  release = true;
  holder.join();
  queued.join();
  CHECK(queued_status == 200);
  CHECK(post(s.url("/v1/chat/completions"), chat_body("y", 2)).status == 200);
}

TEST_CASE("two streamed requests advance together, batched token by token", "[server]") {
  LiveServer s;  // max_batch = 32 by default
  // A long generation holds the engine until released; a short one sent meanwhile must finish
  // while the long one is still streaming (with one request at a time it would wait for it).
  std::atomic<bool> running{false}, release{false}, long_done{false};
  std::thread holder([&] {
    json body = chat_body(kLongPrompt, 4000);
    body["stream"] = true;
    http("POST", s.url("/v1/chat/completions"), body.dump(), {"Content-Type: application/json"},
         [&](const std::string& got) {
           if (!sse_data(got).empty()) running = true;
           return !release.load();
         });
    long_done = true;
  });
  for (int i = 0; i < 3000 && !running; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(running);
  json body = chat_body("Hello", 5);
  body["stream"] = true;
  auto r =
      http("POST", s.url("/v1/chat/completions"), body.dump(), {"Content-Type: application/json"});
  const bool finished_while_long_ran = !long_done;
  release = true;
  holder.join();
  CHECK(r.status == 200);
  CHECK(r.body.find("data: [DONE]") != std::string::npos);
  CHECK(finished_while_long_ran);
  // The released stream is cancelled at its next token; then nothing runs.
  bool idle = false;
  for (int i = 0; i < 500 && !idle; ++i) {
    idle = http("GET", s.url("/mote/v1/health"), "", {}).json()["running"] == 0;
    if (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(idle);
}

TEST_CASE("a client that disconnects mid-stream cancels; the next request is served", "[server]") {
  LiveServer s;
  json body = chat_body(kLongPrompt, 2000);
  body["stream"] = true;
  const auto t0 = std::chrono::steady_clock::now();
  auto aborted =
      http("POST", s.url("/v1/chat/completions"), body.dump(), {"Content-Type: application/json"},
           [](const std::string& got) { return sse_data(got).size() < 4; });
  CHECK(aborted.code == CURLE_WRITE_ERROR);
  auto next = post(s.url("/v1/chat/completions"), chat_body("Hello", 3));
  CHECK(next.status == 200);
  // 2000 tokens would take far longer than the cancelled remainder.
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(seconds < 10);
}

TEST_CASE("stop() cancels a running stream cleanly and answers 503 afterwards", "[server]") {
  auto s = std::make_unique<LiveServer>();
  // stop() is issued once the first tokens have arrived, so it lands mid-stream (a fixed sleep
  // raced the model's EOS on fast CI).
  json body = chat_body(kLongPrompt, 3000);
  body["stream"] = true;
  std::atomic<bool> streaming{false};
  HttpResult r;
  std::thread client([&] {
    r = http("POST", s->url("/v1/chat/completions"), body.dump(),
             {"Content-Type: application/json"}, [&](const std::string& got) {
               if (sse_data(got).size() >= 3) streaming = true;
               return true;
             });
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!streaming && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(streaming);
  s->srv->stop();
  client.join();
  CHECK(r.status == 200);
  auto events = sse_data(r.body);
  REQUIRE(events.size() >= 2);
  CHECK(events.back() == "[DONE]");
  CHECK(json::parse(events[events.size() - 2])["choices"][0]["finish_reason"] == "cancelled");
}

TEST_CASE("serve refuses a non-loopback bind without a key", "[server]") {
  TempDir dir("mote-srv-bind");
  const std::string cmd = (bin_dir() / "mote-engine").string() + " serve --model " +
                          dir.path().string() + " --host 0.0.0.0 --port 0 2> " +
                          (dir / "err.txt").string();
  CHECK(run(cmd) == 2);
}

TEST_CASE("mote-engine serve: SIGTERM cancels a running stream cleanly and exits 0", "[server]") {
  TempDir dir("mote-srv-sigterm");
  make_tiny_model_dir(dir.path());
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    const std::string exe = (bin_dir() / "mote-engine").string();
    const std::string model = dir.path().string();
    execl(exe.c_str(), exe.c_str(), "serve", "--model", model.c_str(), "--port", "0", "--threads",
          "1", "--model-id", "v3-tiny", "--quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  REQUIRE(line.rfind("listening on http://127.0.0.1:", 0) == 0);
  const std::string url = line.substr(13) + "/v1/chat/completions";
  json body = chat_body(kLongPrompt, 3000);
  body["stream"] = true;
  bool signalled = false;
  auto r = http("POST", url, body.dump(), {"Content-Type: application/json"},
                [&](const std::string& got) {
                  if (!signalled && sse_data(got).size() >= 3) {
                    kill(pid, SIGTERM);
                    signalled = true;
                  }
                  return true;
                });
  if (!signalled) kill(pid, SIGTERM);  // a refused request must not leave the server running
  CHECK(signalled);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(r.status == 200);
  auto events = sse_data(r.body);
  REQUIRE(events.size() >= 2);
  CHECK(events.back() == "[DONE]");
  CHECK(json::parse(events[events.size() - 2])["choices"][0]["finish_reason"] == "cancelled");
}
