#pragma once
// Server-Sent Events: the framing of streamed responses and the channel that carries them from
// the engine worker (producer) to the HTTP thread writing the response (consumer). Torch-free.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mote::server {

std::string sse_event(const nlohmann::json& data);  // "data: {...}\n\n"
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

class StreamChannel {
 public:
  // Producer. push() returns false once the consumer cancelled (client gone): stop producing.
  bool push(std::string chunk);
  void close();
  // Consumer: waits up to `timeout` for chunks, moves them to `out`; returns false once the
  // channel is closed and drained.
  bool pop(std::vector<std::string>& out, std::chrono::milliseconds timeout);
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool closed_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace mote::server
