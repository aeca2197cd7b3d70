#pragma once
// The byte-level BPE model: a piece's UTF-8 bytes start as one symbol each (the vocabulary ids of
// the 256 byte symbols) and the lowest-ranked adjacent pair is merged until no pair has a merge,
// ties going to the leftmost pair, exactly as Hugging Face's BPE::merge_word orders its queue.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mote {

struct BpeMerge {
  std::int32_t left;
  std::int32_t right;
  std::int32_t result;
};

class BytePairEncoder {
 public:
  struct Options {
    std::optional<std::int32_t> unk_id;  // symbol for bytes whose symbol is not in the vocab
    bool fuse_unk = false;
    // ignore_merges: a piece that is itself in the vocabulary becomes that token directly.
    std::optional<std::unordered_map<std::string, std::int32_t>> whole_piece_ids;
  };

  // byte_ids[b] is the vocabulary id of byte b's symbol, or -1 when the vocabulary lacks it.
  // merges are in rank order (first = applied first); a later duplicate of a pair replaces the
  // earlier one, as when Hugging Face collects them into a map.
  BytePairEncoder(const std::array<std::int32_t, 256>& byte_ids,
                  const std::vector<BpeMerge>& merges, Options options);

  // Appends the ids of one pre-tokenized piece (raw bytes).
  void encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const;

  // The two algorithms behind encode_piece, exposed so tests can check that they agree.
  void encode_by_scanning(std::string_view piece, std::vector<std::int32_t>& out) const;
  void encode_by_queue(std::string_view piece, std::vector<std::int32_t>& out) const;

 private:
  struct MergeValue {
    std::int32_t rank;
    std::int32_t result;
  };
  // Open-addressing map from the packed pair (left << 32 | right) to its merge; key and value
  // share a slot so a lookup touches one cache line.
  struct Slot {
    std::uint64_t key;
    MergeValue value;
  };
  std::vector<Slot> slots_;
  std::uint64_t mask_ = 0;
  int shift_ = 64;

  std::array<std::int32_t, 256> byte_ids_;
  Options options_;

  static constexpr std::uint64_t kEmptyKey = ~0ull;

  const MergeValue* find_merge(std::int32_t left, std::int32_t right) const {
    const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
                              static_cast<std::uint32_t>(right);
    std::uint64_t slot = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (true) {
      const Slot& s = slots_[slot];
      if (s.key == key) return &s.value;
      if (s.key == kEmptyKey) return nullptr;
      slot = (slot + 1) & mask_;
    }
  }
  void insert_merge(std::uint64_t key, MergeValue value);
  // The initial symbols of a piece (byte ids, unk handling applied).
  void initial_symbols(std::string_view piece, std::vector<std::int32_t>& symbols) const;
};

}  // namespace mote
