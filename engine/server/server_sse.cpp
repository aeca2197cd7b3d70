#include "engine/server/server_sse.h"

#include <nlohmann/json.hpp>

#include "engine/server/server_json.h"

namespace mote::server {

std::string sse_event(const nlohmann::json& data) {
  return "data: " + dump(data) + "\n\n";
}

bool StreamChannel::push(std::string chunk) {
  if (cancelled_) return false;
  {
    std::lock_guard lock(mutex_);
    chunks_.push_back(std::move(chunk));
  }
  cv_.notify_one();
  return !cancelled_;
}

void StreamChannel::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_one();
}

bool StreamChannel::pop(std::vector<std::string>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || !chunks_.empty(); });
  while (!chunks_.empty()) {
    out.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
  }
  return !(closed_ && out.empty());
}

}  // namespace mote::server
