#include "engine/tokenizer/tokenizer_bpe.h"

#include <limits>
#include <queue>

namespace mote {

BytePairEncoder::BytePairEncoder(const std::array<std::int32_t, 256>& byte_ids,
                                 const std::vector<BpeMerge>& merges, Options options)
    : byte_ids_(byte_ids), options_(std::move(options)) {
  std::size_t capacity = 16;
  shift_ = 60;
  while (capacity < merges.size() * 2 + 16) {
    capacity *= 2;
    --shift_;
  }
  slots_.assign(capacity, Slot{kEmptyKey, MergeValue{0, 0}});
  mask_ = capacity - 1;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& m = merges[rank];
    const std::uint64_t key =
        (static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.left)) << 32) |
        static_cast<std::uint32_t>(m.right);
    insert_merge(key, {static_cast<std::int32_t>(rank), m.result});
  }
}

void BytePairEncoder::insert_merge(std::uint64_t key, MergeValue value) {
  std::uint64_t slot = (key * 0x9E3779B97F4A7C15ull) >> shift_;
  while (slots_[slot].key != kEmptyKey && slots_[slot].key != key) slot = (slot + 1) & mask_;
  slots_[slot] = Slot{key, value};
}

void BytePairEncoder::initial_symbols(std::string_view piece,
                                      std::vector<std::int32_t>& symbols) const {
  symbols.clear();
  bool previous_unk = false;
  for (char c : piece) {
    const std::int32_t id = byte_ids_[static_cast<unsigned char>(c)];
    if (id >= 0) {
      symbols.push_back(id);
      previous_unk = false;
    } else if (options_.unk_id) {
      if (!(options_.fuse_unk && previous_unk)) symbols.push_back(*options_.unk_id);
      previous_unk = true;
    }
    // Without an unk token Hugging Face drops a symbol missing from the vocabulary.
  }
}

void BytePairEncoder::encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const {
  if (options_.whole_piece_ids) {
    const auto it = options_.whole_piece_ids->find(std::string(piece));
    if (it != options_.whole_piece_ids->end()) {
      out.push_back(it->second);
      return;
    }
  }
  // Rescanning the pairs after each merge is quadratic but beats a heap on the short pieces
  // that make up nearly all text; long ones (runs of letters or spaces) take the queue.
  if (piece.size() <= 48) {
    encode_by_scanning(piece, out);
  } else {
    encode_by_queue(piece, out);
  }
}

void BytePairEncoder::encode_by_scanning(std::string_view piece,
                                         std::vector<std::int32_t>& out) const {
  thread_local std::vector<std::int32_t> symbols;
  thread_local std::vector<MergeValue> pair;  // pair[i]: merge of symbols i and i+1
  initial_symbols(piece, symbols);
  std::size_t n = symbols.size();
  if (n == 0) return;
  constexpr std::int32_t kNone = std::numeric_limits<std::int32_t>::max();
  pair.resize(n);
  auto lookup = [&](std::size_t i) {
    const MergeValue* m = find_merge(symbols[i], symbols[i + 1]);
    pair[i] = m ? *m : MergeValue{kNone, 0};
  };
  for (std::size_t i = 0; i + 1 < n; ++i) lookup(i);
  while (n > 1) {
    std::size_t best = 0;
    std::int32_t best_rank = kNone;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (pair[i].rank < best_rank) {
        best_rank = pair[i].rank;
        best = i;
      }
    }
    if (best_rank == kNone) break;
    symbols[best] = pair[best].result;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    pair.erase(pair.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    --n;
    if (best + 1 < n) lookup(best);
    if (best > 0) lookup(best - 1);
  }
  out.insert(out.end(), symbols.begin(), symbols.begin() + static_cast<std::ptrdiff_t>(n));
}

void BytePairEncoder::encode_by_queue(std::string_view piece,
                                      std::vector<std::int32_t>& out) const {
  // Per-thread buffers: long pieces are mostly runs of CJK text, one after another.
  thread_local std::vector<std::int32_t> ids, prev, next;
  thread_local std::vector<char> alive;
  initial_symbols(piece, ids);
  const std::int32_t n = static_cast<std::int32_t>(ids.size());
  if (n == 0) return;
  prev.resize(n);
  next.resize(n);
  alive.assign(n, 1);
  for (std::int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    std::int32_t rank, left, right, left_id, right_id, result;
    // std::priority_queue pops the largest: invert so the lowest rank, then leftmost, comes first.
    bool operator<(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto push_pair = [&](std::int32_t left) {
    const std::int32_t right = next[left];
    if (right < 0) return;
    if (const MergeValue* m = find_merge(ids[left], ids[right])) {
      queue.push({m->rank, left, right, ids[left], ids[right], m->result});
    }
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) push_pair(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    // Skip candidates made stale by an earlier merge of either symbol.
    if (!alive[c.left] || !alive[c.right] || next[c.left] != c.right || ids[c.left] != c.left_id ||
        ids[c.right] != c.right_id) {
      continue;
    }
    ids[c.left] = c.result;
    alive[c.right] = 0;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    if (prev[c.left] >= 0) push_pair(prev[c.left]);
    push_pair(c.left);
  }
  for (std::int32_t i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
}

}  // namespace mote
