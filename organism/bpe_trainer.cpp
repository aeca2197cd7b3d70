#include "organism/bpe_trainer.h"

#include <algorithm>
#include <deque>
#include <map>
#include <queue>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "organism/tokenizer_json_writer.h"
#include "engine/tokenizer/tokenizer_pretokenizer.h"

namespace mote {
namespace {

using Symbol = std::int32_t;
using PairKey = std::uint64_t;

PairKey pair_key(Symbol left, Symbol right) {
  return (static_cast<PairKey>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}
Symbol left_of(PairKey key) {
  return static_cast<Symbol>(key >> 32);
}
Symbol right_of(PairKey key) {
  return static_cast<Symbol>(key & 0xFFFFFFFFu);
}

// Calls emit(chunk) for the text between occurrences of the removed tokens (leftmost match,
// longest at the same position), so an added token never takes part in a merge.
template <typename Emit>
void split_on_tokens(std::string_view text, const std::vector<std::string>& tokens, Emit emit) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t best = std::string_view::npos, best_length = 0;
    for (const std::string& token : tokens) {
      if (token.empty()) continue;
      const std::size_t at = text.find(token, pos);
      if (at < best || (at == best && at != std::string_view::npos && token.size() > best_length)) {
        best = at;
        best_length = token.size();
      }
    }
    if (best == std::string_view::npos) {
      emit(text.substr(pos));
      return;
    }
    if (best > pos) emit(text.substr(pos, best - pos));
    pos = best + best_length;
  }
}

struct Word {
  std::vector<Symbol> symbols;
  std::uint64_t count;
};

class MergeLearner {
 public:
  explicit MergeLearner(std::vector<Word> words) : words_(std::move(words)), heap_(Less{this}) {
    for (int b = 0; b < 256; ++b) symbols_.emplace_back(1, static_cast<char>(b));
    for (std::size_t w = 0; w < words_.size(); ++w) {
      const std::vector<Symbol>& s = words_[w].symbols;
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const PairKey key = pair_key(s[i], s[i + 1]);
        counts_[key] += words_[w].count;
        where_[key].push_back(static_cast<std::uint32_t>(w));
      }
    }
    // Pushed in key order so the heap's layout does not depend on the hash map's iteration.
    std::vector<PairKey> keys;
    for (const auto& [key, count] : counts_) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (PairKey key : keys) heap_.push({counts_[key], key});
  }

  std::vector<BpeMergePair> run(std::size_t max_new_tokens, std::uint64_t min_pair_count) {
    std::vector<BpeMergePair> merges;
    const std::size_t max_symbols = 256 + max_new_tokens;
    while (symbols_.size() < max_symbols && !heap_.empty()) {
      const Entry top = heap_.top();
      heap_.pop();
      // Entries go stale when a merge lowers a pair's count (counts never rise after a pair is
      // first pushed: new adjacencies always involve the newest symbol). A stale entry is
      // re-queued with its true count; a fresh one on top is the true maximum.
      const std::uint64_t current = counts_[top.pair];
      if (current != top.count) {
        if (current > 0) heap_.push({current, top.pair});
        continue;
      }
      if (current == 0 || current < min_pair_count) break;
      merge(top.pair);
      merges.emplace_back(symbols_[left_of(top.pair)], symbols_[right_of(top.pair)]);
    }
    return merges;
  }

 private:
  struct Entry {
    std::uint64_t count;
    PairKey pair;
  };
  // Heap order: higher count first; among equal counts, the pair whose (left bytes, right bytes)
  // sorts first.
  struct Less {
    const MergeLearner* self;
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.count != b.count) return a.count < b.count;
      const std::string& al = self->symbols_[left_of(a.pair)];
      const std::string& bl = self->symbols_[left_of(b.pair)];
      if (al != bl) return al > bl;
      return self->symbols_[right_of(a.pair)] > self->symbols_[right_of(b.pair)];
    }
  };

  void merge(PairKey pair) {
    const Symbol a = left_of(pair), b = right_of(pair);
    std::string merged = symbols_[a] + symbols_[b];
    Symbol x;
    if (const auto it = symbol_ids_.find(merged); it != symbol_ids_.end()) {
      x = it->second;  // the same bytes from an earlier merge: reuse the token
    } else {
      x = static_cast<Symbol>(symbols_.size());
      symbol_ids_.emplace(merged, x);
      symbols_.push_back(std::move(merged));
    }
    std::vector<std::uint32_t> word_ids = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(word_ids.begin(), word_ids.end());
    word_ids.erase(std::unique(word_ids.begin(), word_ids.end()), word_ids.end());
    std::vector<PairKey> created;
    for (std::uint32_t w : word_ids) {
      std::vector<Symbol>& s = words_[w].symbols;
      const std::uint64_t c = words_[w].count;
      auto add = [&](Symbol l, Symbol r) {
        const PairKey key = pair_key(l, r);
        counts_[key] += c;
        where_[key].push_back(w);
        created.push_back(key);
      };
      auto remove = [&](Symbol l, Symbol r) { counts_[pair_key(l, r)] -= c; };
      // Left to right, non-overlapping, on the already-updated sequence (as Hugging Face's
      // Word::merge does), so "a a a" with pair (a, a) becomes "aa a".
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] != a || s[i + 1] != b) continue;
        if (i > 0) {
          remove(s[i - 1], a);
          add(s[i - 1], x);
        }
        if (i + 2 < s.size()) {
          remove(b, s[i + 2]);
          add(x, s[i + 2]);
        }
        remove(a, b);
        s[i] = x;
        s.erase(s.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      }
    }
    std::sort(created.begin(), created.end());
    created.erase(std::unique(created.begin(), created.end()), created.end());
    for (PairKey key : created) {
      if (counts_[key] > 0) heap_.push({counts_[key], key});
    }
  }

  std::vector<Word> words_;
  std::vector<std::string> symbols_;  // symbol id -> raw bytes
  std::unordered_map<std::string, Symbol> symbol_ids_;
  std::unordered_map<PairKey, std::uint64_t> counts_;
  std::unordered_map<PairKey, std::vector<std::uint32_t>> where_;  // words holding the pair
  std::priority_queue<Entry, std::vector<Entry>, Less> heap_;
};

}  // namespace

std::vector<BpeMergePair> learn_bpe_merges(const std::vector<std::string>& texts,
                                           const PreTokenizer& pre_tokenizer,
                                           const std::vector<std::string>& removed_tokens,
                                           std::size_t max_new_tokens,
                                           std::uint64_t min_pair_count) {
  // Word counts; a std::map so word order (and with it everything after) is deterministic.
  std::map<std::string, std::uint64_t> counts;
  std::vector<std::string_view> pieces;
  std::deque<std::string> storage;
  for (const std::string& text : texts) {
    split_on_tokens(text, removed_tokens, [&](std::string_view chunk) {
      pieces.clear();
      storage.clear();
      pre_tokenizer.split(chunk, pieces, storage);
      for (std::string_view piece : pieces) {
        if (piece.size() > 1) ++counts[std::string(piece)];  // one byte has nothing to merge
      }
    });
  }
  std::vector<Word> words;
  words.reserve(counts.size());
  for (const auto& [piece, count] : counts) {
    Word word{{}, count};
    for (char c : piece) word.symbols.push_back(static_cast<unsigned char>(c));
    words.push_back(std::move(word));
  }
  return MergeLearner(std::move(words))
      .run(max_new_tokens, std::max<std::uint64_t>(min_pair_count, 1));
}

std::string train_byte_level_bpe_tokenizer_json(const std::vector<std::string>& texts,
                                                const BpeTrainerOptions& options) {
  const std::vector<AddedTokenSpec>& added = deepseek_r1_added_tokens();
  if (options.vocab_size < added.size() + 256) {
    throw UsageError("BPE vocab_size " + std::to_string(options.vocab_size) +
                     " leaves no room for the " + std::to_string(added.size()) +
                     " added tokens and the 256 bytes");
  }
  const PreTokenizer pre_tokenizer =
      PreTokenizer::from_json(nlohmann::json::parse(deepseek_pre_tokenizer_json()));
  std::vector<std::string> removed;
  for (const AddedTokenSpec& token : added) removed.push_back(token.content);
  const std::vector<BpeMergePair> merges =
      learn_bpe_merges(texts, pre_tokenizer, removed, options.vocab_size - added.size() - 256,
                       options.min_pair_count);
  return write_byte_level_bpe_tokenizer_json(added, merges);
}

}  // namespace mote
