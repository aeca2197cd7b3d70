// Server throughput on the tiny model against a live loopback server. Hidden, and gated by an
// environment variable because catch_discover_tests' exclusion-only spec registers hidden tests:
//   MOTE_SERVER_BENCH=1 OMP_NUM_THREADS=1 build/bin/mote_engine_tests "[.serverbench]"
// Prints requests/s of small non-streamed chats, scan prompts/s batched vs one by one, and the
// per-token cost of routing capture in a stream.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "server_test_support.h"

using namespace mote;
using namespace mote::test;
using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("server throughput on the tiny model", "[.serverbench]") {
  if (!std::getenv("MOTE_SERVER_BENCH")) {
    WARN("set MOTE_SERVER_BENCH=1 to run the server benchmark");
    return;
  }
  LiveServer s;
  const json chat = {{"messages", {{{"role", "user"}, {"content", "Hello, how are you?"}}}},
                     {"max_tokens", 8}};
  for (int i = 0; i < 5; ++i) post(s.url("/v1/chat/completions"), chat);  // warm-up

  for (int clients : {1, 8}) {
    const int per_client = 120 / clients;
    std::atomic<int> ok{0};
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&] {
        for (int i = 0; i < per_client; ++i)
          ok += post(s.url("/v1/chat/completions"), chat).status == 200;
      });
    for (auto& t : threads) t.join();
    const double dt = seconds_since(t0);
    std::cout << "chat (8 tokens, non-streamed), " << clients << " client(s): " << ok
              << " requests in " << dt << " s = " << ok / dt << " requests/s\n";
  }

  std::vector<std::string> prompts;
  for (int i = 0; i < 128; ++i)
    prompts.push_back("Prompt number " + std::to_string(i) + std::string(i % 9, '!') +
                      " tell me about the moon and the experts");
  for (int batch : {1, 4, 8, 16, 32}) {
    const auto t0 = std::chrono::steady_clock::now();
    const json body = {{"prompts", prompts}, {"batch_size", batch}};
    auto r = http("POST", s.url("/mote/v1/scan"), body.dump(), {"Content-Type: application/json"},
                  {}, 1800);
    const double dt = seconds_since(t0);
    REQUIRE(r.status == 200);
    const auto events = sse_data(r.body);
    REQUIRE(events.back() == "[DONE]");
    REQUIRE(json::parse(events[events.size() - 2])["completed"] == prompts.size());
    std::cout << "scan of " << prompts.size() << " prompts, batch_size " << batch << ": " << dt
              << " s = " << prompts.size() / dt << " prompts/s\n";
  }

  // Decode steps only: from the first token's chunk to the end, modes interleaved, median of 7.
  const std::vector<std::string> modes = {"none", "ids", "ids+weights"};
  std::map<std::string, std::vector<double>> ms_per_token;
  std::map<std::string, double> bytes_per_token;
  for (int rep = 0; rep < 7; ++rep) {
    for (const auto& capture : modes) {
      json body = {{"prompt", {5, 6, 7, 8, 9, 10, 11, 12}},
                   {"max_tokens", 256},
                   {"stream", true},
                   {"temperature", 0},
                   {"mote", {{"capture", capture}}}};
      std::chrono::steady_clock::time_point first;
      bool seen = false;
      auto r = http("POST", s.url("/v1/completions"), body.dump(),
                    {"Content-Type: application/json"}, [&](const std::string& got) {
                      if (!seen && !sse_data(got).empty()) {
                        first = std::chrono::steady_clock::now();
                        seen = true;
                      }
                      return true;
                    });
      const double decode = seconds_since(first);
      auto events = sse_data(r.body);
      const int64_t n = json::parse(events[events.size() - 2])["usage"]["completion_tokens"];
      REQUIRE(n > 1);
      ms_per_token[capture].push_back(1e3 * decode / static_cast<double>(n - 1));
      bytes_per_token[capture] = static_cast<double>(r.body.size()) / static_cast<double>(n);
    }
  }
  for (const auto& capture : modes) {
    auto v = ms_per_token[capture];
    std::sort(v.begin(), v.end());
    std::cout << "stream, capture " << capture << ": " << v[v.size() / 2] << " ms/token (median), "
              << bytes_per_token[capture] << " bytes/token\n";
  }
}
