#pragma once
// OpenAI "stop" strings on streamed text: text that might be the start of a stop string is held
// back until it is known not to be, so a client never sees any part of a stop string.
#include <string>
#include <string_view>
#include <vector>

namespace mote::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  // Appends decoded text; returns what is now safe to emit. After a match, matched() is true and
  // the returned text ends right before the stop string; later pushes return nothing.
  std::string push(std::string_view text);
  // Text still held back (generation ended without a match).
  std::string finish();
  bool matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool matched_ = false;
};

}  // namespace mote::server
