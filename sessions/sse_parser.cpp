#include "sessions/sse_parser.h"

namespace mote::sessions {

void SseParser::feed(std::string_view bytes, const Handler& on_data) {
  partial_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = partial_.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view text(partial_.data() + start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    start = end + 1;
    try {
      line(text, on_data);
    } catch (...) {
      partial_.erase(0, start);
      throw;
    }
  }
  partial_.erase(0, start);
}

void SseParser::finish(const Handler& on_data) {
  if (!partial_.empty()) {
    std::string rest;
    rest.swap(partial_);
    if (!rest.empty() && rest.back() == '\r') rest.pop_back();
    line(rest, on_data);
  }
  line({}, on_data);
}

void SseParser::line(std::string_view text, const Handler& on_data) {
  if (text.empty()) {  // end of event
    if (!has_data_) return;
    std::string data;
    data.swap(data_);
    has_data_ = false;
    on_data(data);
    return;
  }
  if (text.front() == ':') return;  // comment / keep-alive
  const std::size_t colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  if (field != "data") return;
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_.append(value);
  has_data_ = true;
}

}  // namespace mote::sessions
