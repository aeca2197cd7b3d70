#include "engine/tokenizer/tokenizer_added_tokens.h"

#include <algorithm>

namespace mote {

std::int32_t AddedTokenMatcher::child(std::int32_t node, unsigned char byte) const {
  const auto& children = nodes_[static_cast<std::size_t>(node)].children;
  const auto it =
      std::lower_bound(children.begin(), children.end(), byte,
                       [](const auto& entry, unsigned char b) { return entry.first < b; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

void AddedTokenMatcher::add(std::string_view content, std::int32_t id) {
  if (content.empty()) return;
  std::int32_t node = 0;
  for (char c : content) {
    const auto byte = static_cast<unsigned char>(c);
    std::int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<std::int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[static_cast<std::size_t>(node)].children;
      children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0)),
                      {byte, next});
    }
    node = next;
  }
  nodes_[static_cast<std::size_t>(node)].token_id = id;
  starts_token_[static_cast<unsigned char>(content.front())] = true;
}

AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view text, std::size_t from) const {
  const std::size_t size = text.size();
  for (std::size_t pos = from; pos < size; ++pos) {
    if (!starts_token_[static_cast<unsigned char>(text[pos])]) continue;
    std::int32_t node = 0;
    Match best{size, size, -1};
    for (std::size_t i = pos; i < size; ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node < 0) break;
      const std::int32_t id = nodes_[static_cast<std::size_t>(node)].token_id;
      if (id >= 0) best = {pos, i + 1, id};
    }
    if (best.id >= 0) return best;
  }
  return {size, size, -1};
}

}  // namespace mote
