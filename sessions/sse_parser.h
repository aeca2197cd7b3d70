#pragma once
// Incremental Server-Sent Events parser: bytes in (split anywhere), one callback per event's
// data. Lines starting with ':' are comments (the engine's keep-alives); fields other than
// "data" are ignored; several data lines of one event are joined with '\n'.
#include <functional>
#include <string>
#include <string_view>

namespace mote::sessions {

class SseParser {
 public:
  using Handler = std::function<void(const std::string& data)>;

  // Feeds the next bytes; calls `on_data` for every event completed by them (a blank line ends
  // an event). Exceptions from `on_data` propagate; the parser stays usable.
  void feed(std::string_view bytes, const Handler& on_data);
  // At the end of the stream: dispatches an event that lacked its closing blank line.
  void finish(const Handler& on_data);

 private:
  void line(std::string_view text, const Handler& on_data);
  std::string partial_;  // bytes after the last line break
  std::string data_;     // data of the event being read
  bool has_data_ = false;
};

}  // namespace mote::sessions
