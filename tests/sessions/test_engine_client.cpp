// EngineClient, LocalEngine and the SSE parser against a real `mote-engine serve` on loopback.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "engine_test_support.h"
#include "sessions/engine_client.h"
#include "sessions/local_engine.h"
#include "sessions/sse_parser.h"

using namespace mote;
using namespace mote::sessions;
using namespace mote::sessions_test;
using Clock = std::chrono::steady_clock;

namespace {

GenerationRequest chat_request(const std::string& text, int max_tokens, CaptureMode capture) {
  GenerationRequest r;
  r.chat = true;
  r.messages = {{"system", "Be brief."}, {"user", text}};
  r.sampling.temperature = 0.0;
  r.sampling.max_tokens = max_tokens;
  r.capture = capture;
  return r;
}

// A port nothing listens on: bound once by us, then released.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The EngineError f() throws; a kProtocol "(nothing thrown)" error if none, so that the CHECKs
// on it fail without throwing (threads of a test must still be joined).
template <typename F>
EngineError catch_engine_error(F&& f) {
  try {
    f();
  } catch (const EngineError& e) {
    return e;
  }
  return EngineError(EngineError::Kind::kProtocol, "(nothing thrown)", -1, "(nothing thrown)");
}

}  // namespace

TEST_CASE("SSE parser: events split anywhere, comments, CRLF, multi-line data", "[engine-client]") {
  const std::string stream =
      ": ping\n\ndata: {\"a\": 1}\n\ndata: line1\r\ndata: line2\r\n\r\nevent: x\ndata:[DONE]\n\n";
  for (std::size_t step : {1, 2, 3, 7, 1000}) {
    SseParser parser;
    std::vector<std::string> events;
    auto handler = [&](const std::string& d) { events.push_back(d); };
    for (std::size_t i = 0; i < stream.size(); i += step)
      parser.feed(std::string_view(stream).substr(i, step), handler);
    parser.finish(handler);
    CHECK(events == std::vector<std::string>{"{\"a\": 1}", "line1\nline2", "[DONE]"});
  }
  SseParser parser;
  std::vector<std::string> events;
  parser.feed("data: tail without blank line", [&](const std::string& d) { events.push_back(d); });
  CHECK(events.empty());
  parser.finish([&](const std::string& d) { events.push_back(d); });
  CHECK(events == std::vector<std::string>{"tail without blank line"});
}

TEST_CASE("local engine: found next to the tests, model() reports the tiny geometry",
          "[engine-client]") {
  CHECK(find_engine_executable() == engine_binary());
  LocalEngine& engine = shared_engine();
  CHECK(engine.running());
  CHECK(engine.endpoint().url.rfind("http://127.0.0.1:", 0) == 0);
  CHECK(engine.endpoint().api_key.size() == 64);
  const EngineClient client = shared_client();
  CHECK(client.healthy());
  const ModelInfo info = client.model();
  CHECK(info.model_type == "deepseek_v3");
  CHECK(info.n_layers == 4);
  CHECK(info.geometry.moe_layers == std::vector<int>{1, 2, 3});
  CHECK(info.geometry.moe_layers == tiny_geometry().moe_layers);
  CHECK(info.geometry.n_experts == 16);
  CHECK(info.geometry.top_k == 4);
  CHECK(info.dtype == "fp32");
  CHECK(info.limits.at("max_scan_batch").get<int>() > 0);
  CHECK(!info.id.empty());
}

TEST_CASE("greedy generation: reproducible, tokens make up the text, one row per token",
          "[engine-client]") {
  const EngineClient client = shared_client();
  for (const bool chat : {true, false}) {
    INFO("chat " << chat);
    GenerationRequest request =
        chat_request("What happened in 1989?", 12, CaptureMode::IdsAndWeights);
    if (!chat) {
      request.chat = false;
      request.prompt = "The capital of France is";
    }
    std::string streamed;
    std::vector<TokenEvent> events;
    const GenerationResult a = client.generate(request, [&](const TokenEvent& e) {
      streamed += e.text;
      events.push_back(e);
    });
    const GenerationResult b = client.generate(request);
    CHECK(a.text == b.text);
    CHECK(a.completion_tokens == b.completion_tokens);
    CHECK(streamed == a.text);
    REQUIRE(a.completion_tokens >= 1);
    CHECK(a.completion_tokens <= 12);
    CHECK((a.finish_reason == "stop" || a.finish_reason == "length"));
    CHECK(a.prompt_tokens > 0);
    // Capture on: every token has its own event, the prompt rows arrive with the first.
    int tokens = 0;
    for (const auto& e : events) {
      if (e.flush) continue;
      CHECK(e.index == tokens);
      ++tokens;
    }
    CHECK(tokens == a.completion_tokens);
    std::size_t prompt_rows = 0;
    for (const auto& r : events.front().rows) prompt_rows += r.is_prompt ? 1 : 0;
    CHECK(prompt_rows == static_cast<std::size_t>(a.prompt_tokens));
    REQUIRE(a.routing.size() ==
            static_cast<std::size_t>(a.prompt_tokens + a.completion_tokens - 1));
    for (std::size_t i = 0; i < a.routing.size(); ++i) {
      CHECK(a.routing[i].position == static_cast<int>(i));
      CHECK(a.routing[i].is_prompt == (static_cast<int>(i) < a.prompt_tokens));
      CHECK(a.routing[i].ids.size() == 3u * 4u);
      CHECK(a.routing[i].weights.size() == 3u * 4u);
      CHECK(a.routing[i].ids_before.empty());  // no tuning
      CHECK(a.routing[i].ids == b.routing[i].ids);
    }
    // The seed is always reported (the client picks one when the request has none).
    CHECK(a.seed >= 0);
    REQUIRE(a.prompt_counts);
    CHECK(*a.prompt_counts == maps_from_routing(a.routing, tiny_geometry()).prompt_counts);
  }
}

TEST_CASE("a given seed is sent and reported, and sampling with it is reproducible",
          "[engine-client]") {
  const EngineClient client = shared_client();
  GenerationRequest request = chat_request("Tell me a story.", 10, CaptureMode::None);
  request.sampling.temperature = 0.9;
  request.sampling.seed = 1234567;
  const GenerationResult a = client.generate(request);
  const GenerationResult b = client.generate(request);
  CHECK(a.seed == 1234567);
  CHECK(a.text == b.text);
  CHECK(a.routing.empty());
  CHECK(!a.prompt_counts);
}

TEST_CASE(
    "tuning: a suppressed expert is never selected with non-zero weight, and the engine's "
    "prompt_counts equal maps_from_routing",
    "[engine-client]") {
  const EngineClient client = shared_client();
  const ModelGeometry& g = tiny_geometry();
  GenerationRequest request = chat_request("Why is the sky blue?", 8, CaptureMode::IdsAndWeights);
  const GenerationResult original = client.generate(request);
  const GenerationMaps original_maps = maps_from_routing(original.routing, g);
  // Suppress the expert the prompt uses most in model layer 2 (MoE index 1).
  int busiest = 0;
  for (int e = 0; e < 16; ++e)
    if (original_maps.prompt_counts.at(1, e) > original_maps.prompt_counts.at(1, busiest))
      busiest = e;
  REQUIRE(original_maps.prompt_counts.at(1, busiest) > 0);
  request.tuning.suppress = {{2, busiest}};
  request.tuning.stimulate = {{3, 5}};

  const GenerationResult tuned = client.generate(request);
  REQUIRE(!tuned.routing.empty());
  bool slot_kept = false;
  for (const auto& row : tuned.routing) {
    CHECK(row.ids_before.size() == row.ids.size());  // a tuned request reports the router's own
    for (std::size_t slot = 4; slot < 8; ++slot) {   // MoE layer index 1 = model layer 2
      if (row.ids[slot] == busiest) {
        CHECK(row.weights[slot] == 0.0f);
        slot_kept = true;
      }
    }
    bool stimulated = false;
    for (std::size_t slot = 8; slot < 12; ++slot) stimulated |= row.ids[slot] == 5;
    CHECK(stimulated);
  }
  CHECK(slot_kept);  // the suppressed expert keeps its slot with weight 0
  const GenerationMaps maps = maps_from_routing(tuned.routing, g);
  REQUIRE(tuned.prompt_counts);
  CHECK(*tuned.prompt_counts == maps.prompt_counts);
  CHECK(maps.prompt_counts.at(1, busiest) == 0);
  CHECK(maps.prompt_counts.at(2, 5) == tuned.prompt_tokens);
  CHECK(maps.has_weights);

  // Ids only: the suppressed expert is recognised by the tuning.
  request.capture = CaptureMode::Ids;
  const GenerationResult ids_only = client.generate(request);
  REQUIRE(ids_only.prompt_counts);
  const GenerationMaps ids_maps = maps_from_routing(ids_only.routing, g, request.tuning);
  CHECK(!ids_maps.has_weights);
  CHECK(*ids_only.prompt_counts == ids_maps.prompt_counts);
  CHECK(ids_maps.prompt_counts == maps.prompt_counts);
  CHECK(ids_maps.completion_counts == maps.completion_counts);
  // Without the tuning the kept slots would be counted, which the engine does not do.
  CHECK(maps_from_routing(ids_only.routing, g).prompt_counts != *ids_only.prompt_counts);
}

TEST_CASE("scan: prompt maps equal the generations' prompt_counts", "[engine-client]") {
  const EngineClient client = shared_client();
  const ModelGeometry& g = tiny_geometry();
  const std::vector<std::string> texts = {"Hello there", "What happened in 1989 in Beijing?",
                                          "Count to three.", "Why?"};
  TuningSpec tuning;
  tuning.suppress = {{1, 3}};
  std::vector<ScanPrompt> prompts;
  for (const auto& t : texts) {
    ScanPrompt p;
    p.chat = true;
    p.messages = {{"user", t}};
    prompts.push_back(p);
  }
  ScanPrompt raw;
  raw.chat = false;
  raw.text = "raw text prompt";
  prompts.push_back(raw);
  ScanOptions options;
  options.batch_size = 4;
  options.weighted = true;
  options.tuning = tuning;
  std::map<std::size_t, ScanResult> results;
  client.scan(prompts, options, g, [&](const ScanResult& r) { results[r.index] = r; });
  REQUIRE(results.size() == prompts.size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    INFO("prompt " << i);
    GenerationRequest request;
    request.chat = prompts[i].chat;
    request.messages = prompts[i].messages;
    request.prompt = prompts[i].text;
    request.sampling.max_tokens = 1;
    request.tuning = tuning;
    request.capture = CaptureMode::Ids;
    const GenerationResult generated = client.generate(request);
    CHECK(results[i].prompt_tokens == generated.prompt_tokens);
    REQUIRE(generated.prompt_counts);
    CHECK(results[i].counts == *generated.prompt_counts);
    CHECK(results[i].counts.at(0, 3) == 0);
    REQUIRE(results[i].weighted_counts);
    CHECK(results[i].weighted_counts->at(0, 3) == 0.0f);
  }
  // Another geometry is refused.
  const ModelGeometry other{{1, 2, 3}, 32, 4};
  const EngineError e =
      catch_engine_error([&] { client.scan(prompts, options, other, [](const ScanResult&) {}); });
  CHECK(e.kind() == EngineError::Kind::kProtocol);
}

TEST_CASE("cancelling a generation ends it within one token, and the engine stays usable",
          "[engine-client]") {
  const EngineClient client = shared_client();
  GenerationRequest request = chat_request("Write a long essay.", 3000, CaptureMode::Ids);
  request.sampling.temperature = 1.0;  // greedy on the tiny model may hit EOS early
  request.sampling.seed = 7;
  std::atomic<bool> cancel{false};
  int last_index = -1;
  const auto t0 = Clock::now();
  const EngineError e = catch_engine_error([&] {
    client.generate(
        request,
        [&](const TokenEvent& event) {
          last_index = event.index;
          if (event.index == 3) cancel = true;
        },
        &cancel);
  });
  CHECK(e.kind() == EngineError::Kind::kCancelled);
  CHECK(last_index == 3);
  CHECK(seconds_since(t0) < 10);

  // Raised from another thread while tokens stream (this generation runs 959 tokens uncancelled).
  cancel = false;
  std::atomic<bool> streaming{false};
  std::thread canceller([&] {
    while (!streaming) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    cancel = true;
  });
  const EngineError e2 = catch_engine_error([&] {
    client.generate(
        request, [&](const TokenEvent&) { streaming = true; }, &cancel);
  });
  streaming = true;  // the canceller must end even if no token came
  canceller.join();
  CHECK(e2.kind() == EngineError::Kind::kCancelled);
  // A raised flag before the start cancels at once.
  const EngineError e3 = catch_engine_error([&] { client.generate(request, {}, &cancel); });
  CHECK(e3.kind() == EngineError::Kind::kCancelled);

  CHECK(client.generate(chat_request("Still there?", 2, CaptureMode::None)).completion_tokens >= 1);
}

TEST_CASE("an unreachable URL fails quickly with kUnreachable naming the URL", "[engine-client]") {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  const EngineClient client({url, ""});
  CHECK(!client.healthy());
  const auto t0 = Clock::now();
  const EngineError e = catch_engine_error([&] { client.model(); });
  CHECK(seconds_since(t0) < 3.0);  // 3 retries: 0.25 + 0.5 + 1 s backoff
  CHECK(e.kind() == EngineError::Kind::kUnreachable);
  CHECK_THAT(e.what(), Catch::Contains("cannot reach the engine at " + url +
                                       ": connection refused (tried 4 times)"));
  EngineClientOptions no_retries;
  no_retries.retries = 0;
  const EngineError e2 = catch_engine_error([&] {
    EngineClient({url + "/", ""}, no_retries).generate(chat_request("x", 1, CaptureMode::None));
  });
  CHECK(e2.kind() == EngineError::Kind::kUnreachable);
  CHECK(std::string(e2.what()) == "cannot reach the engine at " + url + ": connection refused");
}

TEST_CASE("engine errors: a bad expert and a bad key are kHttp with the engine's code",
          "[engine-client]") {
  const EngineClient client = shared_client();
  GenerationRequest request = chat_request("Hi", 4, CaptureMode::Ids);
  request.tuning.suppress = {{2, 99}};
  const EngineError e = catch_engine_error([&] { client.generate(request); });
  CHECK(e.kind() == EngineError::Kind::kHttp);
  CHECK(e.status() == 400);
  CHECK(e.code() == "invalid_expert");
  CHECK_THAT(e.what(), Catch::StartsWith("the engine at " + client.endpoint().url +
                                         " rejected the request (400 invalid_expert): "));
  CHECK_THAT(e.what(), Catch::Contains("tuning: suppress [2, 99]: expert out of range 0..15"));

  const EngineClient wrong_key({client.endpoint().url, "not-the-key"});
  CHECK(wrong_key.healthy());  // health needs no key
  const EngineError e2 = catch_engine_error([&] { wrong_key.model(); });
  CHECK(e2.kind() == EngineError::Kind::kHttp);
  CHECK(e2.status() == 401);
  CHECK(e2.code() == "invalid_api_key");
}

TEST_CASE("a full engine queue: 429 without retries, honoured Retry-After with them",
          "[engine-client][local-engine]") {
  TinyModelDir model;
  // One request in progress, one waiting.
  auto engine =
      LocalEngine::start(tiny_engine_options(model, {"--max-queue", "1", "--max-batch", "1"}));
  EngineClientOptions no_retries;
  no_retries.retries = 0;
  const EngineClient client = engine->client(no_retries);
  // A holds the engine (a scan of 1000 prompts one by one, cancelled later: a generation could
  // end early at EOS), B waits in the one queue slot.
  std::atomic<bool> release{false}, a_streaming{false};
  const auto t_hold = Clock::now();
  std::vector<ScanPrompt> hold(1000);
  for (auto& p : hold) {
    p.chat = false;
    p.text = "Hold the engine.";
  }
  ScanOptions one_by_one;
  one_by_one.batch_size = 1;
  std::thread a([&] {
    try {
      client.scan(
          hold, one_by_one, tiny_geometry(), [&](const ScanResult&) { a_streaming = true; },
          &release);
    } catch (const EngineError&) {
    }
  });
  while (!a_streaming && seconds_since(t_hold) < 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(a_streaming);
  std::thread b([&] {
    try {
      client.generate(chat_request("B", 2, CaptureMode::None));
    } catch (const EngineError&) {
    }
  });
  const auto t_queue = Clock::now();
  while (client.health().at("queued") != 1 && seconds_since(t_queue) < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const EngineError refused =
      catch_engine_error([&] { client.generate(chat_request("C", 2, CaptureMode::None)); });
  CHECK(refused.kind() == EngineError::Kind::kHttp);
  CHECK(refused.status() == 429);
  CHECK(refused.code() == "queue_full");

  // With retries: the engine frees up while we wait out Retry-After (1 s).
  const EngineClient patient = engine->client();
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    release = true;
  });
  const auto t0 = Clock::now();
  const GenerationResult r = patient.generate(chat_request("C", 2, CaptureMode::None));
  const double waited = seconds_since(t0);
  releaser.join();
  a.join();
  b.join();
  CHECK(r.completion_tokens >= 1);
  CHECK(waited >= 0.9);
}

TEST_CASE("a killed local engine: running() turns false and calls name its death",
          "[engine-client][local-engine]") {
  TinyModelDir model;
  auto engine = LocalEngine::start(tiny_engine_options(model));
  REQUIRE(engine->running());
  CHECK_THAT(engine->log_tail(), Catch::Contains("loading"));
  {
    // The key file named on the engine's command line is gone once it listens.
    std::ifstream cmdline("/proc/" + std::to_string(engine->pid()) + "/cmdline");
    std::vector<std::string> args;
    for (std::string arg; std::getline(cmdline, arg, '\0');) args.push_back(arg);
    const auto it = std::find(args.begin(), args.end(), "--api-key-file");
    REQUIRE(it + 1 < args.end());
    CHECK(!std::filesystem::exists(*(it + 1)));
  }
  const EngineEndpoint endpoint = engine->endpoint();
  REQUIRE(::kill(engine->pid(), SIGKILL) == 0);
  const auto t0 = Clock::now();
  while (engine->running() && seconds_since(t0) < 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(!engine->running());
  CHECK(engine->exit_description() == "was killed by signal 9 (Killed)");

  const EngineError e = catch_engine_error([&] { engine->client().model(); });
  CHECK(e.kind() == EngineError::Kind::kEngineDied);
  CHECK_THAT(e.what(), Catch::Contains("was killed by signal 9"));
  const EngineError e2 = catch_engine_error([&] { EngineClient(endpoint).model(); });
  CHECK(e2.kind() == EngineError::Kind::kUnreachable);
  CHECK_THAT(e2.what(), Catch::Contains("connection refused"));
  engine->stop();  // reaped already: nothing to signal
  engine->stop();
}

TEST_CASE("a local engine that cannot start reports its own error",
          "[engine-client][local-engine]") {
  TempDir empty("mote-client-empty");
  LocalEngineOptions options;
  options.engine_executable = engine_binary();
  options.model_dir = empty.path();
  const EngineError e = catch_engine_error([&] { LocalEngine::start(options); });
  CHECK(e.kind() == EngineError::Kind::kEngineDied);
  CHECK_THAT(e.what(), Catch::Contains("exited with status"));
  CHECK_THAT(e.what(), Catch::Contains("cannot open " + (empty / "config.json").string()));

  options.engine_executable = empty / "no-such-engine";
  const EngineError e2 = catch_engine_error([&] { LocalEngine::start(options); });
  CHECK(e2.kind() == EngineError::Kind::kEngineDied);
  CHECK_THAT(e2.what(), Catch::Contains("is not an executable file"));
}

TEST_CASE("maps_from_routing rejects rows of the wrong shape", "[engine-client]") {
  RoutingRow row;
  row.ids = {1, 2, 3};
  CHECK_THROWS_WITH(maps_from_routing({row}, tiny_geometry()),
                    Catch::Contains("has 3 ids, expected MoE layers x top-k = 12"));
  const GenerationMaps empty = maps_from_routing({}, tiny_geometry());
  CHECK(empty.prompt_counts.rows == 3);
  CHECK(empty.prompt_counts.cols == 16);
}

TEST_CASE("SamplingSettings JSON round trip and errors", "[engine-client]") {
  SamplingSettings s;
  s.temperature = 0.6;
  s.top_p = 0.95;
  s.top_k = 40;
  s.max_tokens = 64;
  s.seed = -5;
  const SamplingSettings back = SamplingSettings::from_json(s.to_json());
  CHECK(back.temperature == 0.6);
  CHECK(back.top_p == 0.95);
  CHECK(back.top_k == 40);
  CHECK(back.max_tokens == 64);
  CHECK(back.seed == -5);
  CHECK_THROWS_WITH(SamplingSettings::from_json({{"temprature", 1}}),
                    Catch::Contains("unknown key \"temprature\""));
  CHECK_THROWS_WITH(SamplingSettings::from_json({{"top_k", "4"}}), Catch::Contains("top_k"));
}
