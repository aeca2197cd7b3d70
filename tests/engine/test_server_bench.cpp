// Server throughput on the tiny model against a live loopback server (hidden: run with
//   build/bin/mote_engine_tests "[.serverbench]"
// ). Prints requests/s of small non-streamed chats, scan prompts/s batched vs one by one, and the
// per-token cost of routing capture in a stream.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
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
  LiveServer s;
  const json chat = {{"messages", {{{"role", "user"}, {"content", "Hello, how are you?"}}}},
                     {"max_tokens", 8}};
  for (int i = 0; i < 5; ++i) post(s.url("/v1/chat/completions"), chat);  // warm-up

  for (int clients : {1, 8}) {
    const int per_client = 200 / clients;
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
  for (int i = 0; i < 256; ++i)
    prompts.push_back("Prompt number " + std::to_string(i) + std::string(i % 9, '!') +
                      " tell me about the moon and the experts");
  for (int batch : {1, 4, 16, 32}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = post(s.url("/mote/v1/scan"), {{"prompts", prompts}, {"batch_size", batch}});
    const double dt = seconds_since(t0);
    REQUIRE(r.status == 200);
    std::cout << "scan of " << prompts.size() << " prompts, batch_size " << batch << ": " << dt
              << " s = " << prompts.size() / dt << " prompts/s\n";
  }

  const int tokens = 256;
  for (const char* capture : {"none", "ids", "ids+weights"}) {
    json body = {{"prompt", {5, 6, 7, 8, 9, 10, 11, 12}},
                 {"max_tokens", tokens},
                 {"stream", true},
                 {"temperature", 0}};
    body["mote"] = {{"capture", capture}};
    double best = 1e9;
    size_t bytes = 0;
    int64_t generated = 0;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = post(s.url("/v1/completions"), body);
      best = std::min(best, seconds_since(t0));
      bytes = r.body.size();
      auto events = sse_data(r.body);
      generated = json::parse(events[events.size() - 2])["usage"]["completion_tokens"];
    }
    std::cout << "stream, capture " << capture << ": " << generated << " tokens, "
              << 1e3 * best / generated << " ms/token, " << bytes / generated << " bytes/token\n";
  }
}
