#pragma once
// Finds tokenizer.json's added tokens in text: leftmost-longest, like Hugging Face's
// Aho-Corasick matcher (MatchKind::LeftmostLongest). A byte trie plus a first-byte table is
// enough: positions whose byte starts no token are skipped with one table lookup.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mote {

class AddedTokenMatcher {
 public:
  struct Match {
    std::size_t begin;
    std::size_t end;
    std::int32_t id;
  };

  void add(std::string_view content, std::int32_t id);
  bool empty() const { return nodes_.size() <= 1; }

  // The leftmost-longest match starting at or after from, or begin == text.size() when none.
  Match find(std::string_view text, std::size_t from) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::int32_t>> children;  // sorted by byte
    std::int32_t token_id = -1;
  };
  std::vector<Node> nodes_{Node{}};
  std::array<bool, 256> starts_token_{};

  std::int32_t child(std::int32_t node, unsigned char byte) const;
};

}  // namespace mote
