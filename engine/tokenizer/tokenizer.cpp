#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/tokenizer/tokenizer_added_tokens.h"
#include "engine/tokenizer/tokenizer_bpe.h"
#include "engine/tokenizer/tokenizer_byte_level.h"
#include "engine/tokenizer/tokenizer_pretokenizer.h"
#include "engine/tokenizer/tokenizer_utf8.h"

namespace mote {
namespace {

using json = nlohmann::json;

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIdMap = std::unordered_map<std::string, std::int32_t, StringViewHash, std::equal_to<>>;

// Memoized BPE results per piece. Text repeats its words, so most pieces are looked up rather
// than merged. One cache per thread keeps encode() lock-free; it belongs to one tokenizer at a
// time (identified by a serial number, since addresses get reused) and is dropped when full.
// A flat open-addressing table over two arenas: a lookup costs a slot, a key compare and the ids,
// with no per-entry allocation.
class PieceCache {
 public:
  // The cached ids of piece, or nullptr.
  const std::int32_t* find(std::string_view piece, std::uint64_t hash, std::uint32_t& count) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key_size == kEmpty) return nullptr;
      if (slot.hash == hash && slot.key_size == piece.size() &&
          std::memcmp(keys_.data() + slot.key_offset, piece.data(), piece.size()) == 0) {
        count = slot.id_count;
        return ids_.data() + slot.id_offset;
      }
    }
  }

  // Starts an insertion: the caller appends the piece's ids to ids(), then calls commit().
  std::vector<std::int32_t>& ids() { return ids_; }
  void commit(std::string_view piece, std::uint64_t hash, std::size_t id_offset) {
    if (count_ + 1 > slots_.size() / 2) grow();
    std::size_t i = hash & mask_;
    while (slots_[i].key_size != kEmpty) i = (i + 1) & mask_;
    slots_[i] = Slot{
        hash, static_cast<std::uint32_t>(keys_.size()), static_cast<std::uint32_t>(piece.size()),
        static_cast<std::uint32_t>(id_offset), static_cast<std::uint32_t>(ids_.size() - id_offset)};
    keys_.append(piece);
    ++count_;
  }

  // Empties the cache if it belongs to another tokenizer or has grown too large.
  void claim(std::uint64_t owner) {
    if (owner == owner_ && count_ < kMaxPieces && keys_.size() < kMaxKeyBytes) return;
    owner_ = owner;
    slots_.clear();
    mask_ = 0;
    count_ = 0;
    keys_.clear();
    ids_.clear();
  }

  static std::uint64_t hash(std::string_view s) {
    // Eight bytes at a time, multiply-xorshift mixing: fast on the short pieces of text.
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      h = (h ^ word) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
  }

 private:
  struct Slot {
    std::uint64_t hash;
    std::uint32_t key_offset, key_size, id_offset, id_count;
  };
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFF;
  static constexpr std::size_t kMaxPieces = 1 << 18;
  static constexpr std::size_t kMaxKeyBytes = 64 << 20;

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 4096 : old.size() * 2, Slot{0, 0, kEmpty, 0, 0});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.key_size == kEmpty) continue;
      std::size_t i = slot.hash & mask_;
      while (slots_[i].key_size != kEmpty) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::uint64_t owner_ = 0;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0, count_ = 0;
  std::string keys_;
  std::vector<std::int32_t> ids_;
};

std::atomic<std::uint64_t> next_serial{1};

bool is_null_or(const json& object, const char* key, const json& accepted) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() || *it == accepted;
}

std::string describe_type(const json& spec) {
  if (spec.is_object() && spec.contains("type") && spec["type"].is_string()) {
    return "'" + spec["type"].get<std::string>() + "'";
  }
  return spec.dump().substr(0, 120);
}

}  // namespace

struct Tokenizer::Impl {
  std::uint64_t serial = next_serial.fetch_add(1);
  TokenIdMap vocab;                       // token as written -> id (model vocabulary)
  TokenIdMap added;                       // added token content -> id
  std::vector<std::string> token_text;    // id -> token as written ("" when no token)
  std::vector<std::string> token_bytes;   // id -> raw bytes
  std::vector<std::uint8_t> token_kind;   // 0 none, 1 vocab, 2 added, 3 added special
  AddedTokenMatcher unnormalized_tokens;  // matched on the raw text first
  AddedTokenMatcher normalized_tokens;    // then on what is left (no normalizer is supported)
  PreTokenizer pre_tokenizer;
  std::optional<BytePairEncoder> bpe;
  std::array<std::int32_t, 256> byte_ids{};

  void encode_plain(std::string_view text, std::vector<std::int64_t>& out) const;
  void encode_piece(std::string_view piece, std::vector<std::int64_t>& out) const;
  void encode_unnormalized(std::string_view text, std::vector<std::int64_t>& out) const;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TokenizerError("cannot open tokenizer file " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return from_json_text(content.str(), path.string());
}

std::shared_ptr<const Tokenizer> Tokenizer::from_json_text(std::string_view text,
                                                           const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw TokenizerError(origin + " is not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw TokenizerError(origin + " is not a JSON object");
  auto fail = [&](const std::string& what) -> TokenizerError {
    return TokenizerError(origin + ": " + what);
  };
  auto impl = std::make_unique<Impl>();

  // Normalizer: none, or an empty Sequence (DeepSeek's).
  if (doc.contains("normalizer") && !doc["normalizer"].is_null()) {
    const json& normalizer = doc["normalizer"];
    const bool empty_sequence =
        normalizer.value("type", "") == "Sequence" && normalizer.contains("normalizers") &&
        normalizer["normalizers"].is_array() && normalizer["normalizers"].empty();
    if (!empty_sequence) {
      const json& shown = normalizer.value("type", "") == "Sequence" &&
                                  normalizer.contains("normalizers") &&
                                  normalizer["normalizers"].is_array()
                              ? normalizer["normalizers"][0]
                              : normalizer;
      throw fail("normalizer " + describe_type(shown) + " is not supported");
    }
  }

  // Model: byte-level BPE without subword affixes, dropout or byte fallback.
  if (!doc.contains("model") || !doc["model"].is_object()) throw fail("no \"model\" object");
  const json& model = doc["model"];
  const std::string model_type = model.value("type", "");
  if (model_type != "BPE") {
    throw fail("model type '" + model_type + "' is not supported (only byte-level BPE is)");
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0)) {
    throw fail("BPE dropout is not supported");
  }
  if (!is_null_or(model, "continuing_subword_prefix", "")) {
    throw fail("BPE continuing_subword_prefix is not supported");
  }
  if (!is_null_or(model, "end_of_word_suffix", "")) {
    throw fail("BPE end_of_word_suffix is not supported");
  }
  if (!is_null_or(model, "byte_fallback", false)) throw fail("BPE byte_fallback is not supported");
  if (!model.contains("vocab") || !model["vocab"].is_object()) throw fail("model has no vocab");
  if (!model.contains("merges") || !model["merges"].is_array()) throw fail("model has no merges");

  std::int64_t max_id = -1;
  for (const auto& [token, id_value] : model["vocab"].items()) {
    if (!id_value.is_number_integer() || id_value.get<std::int64_t>() < 0 ||
        id_value.get<std::int64_t>() > 0x7FFFFFFF) {
      throw fail("vocab entry '" + token + "' has an invalid id");
    }
    const auto id = id_value.get<std::int32_t>();
    impl->vocab.emplace(token, id);
    max_id = std::max<std::int64_t>(max_id, id);
  }

  // Added tokens.
  struct Added {
    std::string content;
    std::int32_t id;
    bool special;
  };
  std::vector<Added> added_tokens;
  if (doc.contains("added_tokens") && !doc["added_tokens"].is_null()) {
    if (!doc["added_tokens"].is_array()) throw fail("added_tokens is not an array");
    for (const json& entry : doc["added_tokens"]) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
          !entry.contains("content") || !entry["content"].is_string()) {
        throw fail("malformed added token " + entry.dump().substr(0, 120));
      }
      Added token{entry["content"].get<std::string>(), entry["id"].get<std::int32_t>(),
                  entry.value("special", false)};
      if (token.id < 0) throw fail("added token '" + token.content + "' has a negative id");
      for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
        if (entry.value(flag, false)) {
          throw fail("added token '" + token.content + "' uses " + flag +
                     ", which is not supported");
        }
      }
      // Hugging Face's default: special tokens are matched on the raw text, others on normalized.
      const bool normalized = entry.value("normalized", !token.special);
      (normalized ? impl->normalized_tokens : impl->unnormalized_tokens)
          .add(token.content, token.id);
      impl->added[token.content] = token.id;
      max_id = std::max<std::int64_t>(max_id, token.id);
      added_tokens.push_back(std::move(token));
    }
  }

  // Id tables. Added tokens decode to their content; vocab tokens through the ByteLevel decoder.
  const auto table_size = static_cast<std::size_t>(max_id + 1);
  impl->token_text.assign(table_size, {});
  impl->token_bytes.assign(table_size, {});
  impl->token_kind.assign(table_size, 0);
  for (const auto& [token, id] : impl->vocab) {
    impl->token_text[id] = token;
    impl->token_bytes[id] = byte_level::decode(token);
    impl->token_kind[id] = 1;
  }
  for (const Added& token : added_tokens) {
    impl->token_text[token.id] = token.content;
    impl->token_bytes[token.id] = token.content;
    impl->token_kind[token.id] = token.special ? 3 : 2;
  }

  // Pre-tokenizer: must end in ByteLevel for the byte-level model to apply.
  impl->pre_tokenizer = PreTokenizer::from_json(doc.value("pre_tokenizer", json()));
  if (!impl->pre_tokenizer.is_byte_level()) {
    throw fail("pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported");
  }
  if (!doc.contains("decoder") || !doc["decoder"].is_object() ||
      doc["decoder"].value("type", "") != "ByteLevel") {
    throw fail("decoder " + describe_type(doc.value("decoder", json())) +
               " is not supported (only ByteLevel is)");
  }

  // Merges, as "left right" strings or [left, right] pairs, resolved to ids.
  for (int b = 0; b < 256; ++b) {
    const auto it = impl->vocab.find(byte_level::symbol_for_byte(static_cast<unsigned char>(b)));
    impl->byte_ids[b] = it == impl->vocab.end() ? -1 : it->second;
  }
  std::vector<BpeMerge> merges;
  merges.reserve(model["merges"].size());
  auto vocab_id = [&](const std::string& token, const json& merge) {
    const auto it = impl->vocab.find(token);
    if (it == impl->vocab.end()) {
      throw fail("merge " + merge.dump() + " uses '" + token + "', which is not in the vocab");
    }
    return it->second;
  };
  for (const json& merge : model["merges"]) {
    std::string left, right;
    if (merge.is_string()) {
      const std::string& s = merge.get_ref<const std::string&>();
      const std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        throw fail("merge '" + s + "' is not two tokens separated by one space");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      throw fail("malformed merge " + merge.dump().substr(0, 120));
    }
    merges.push_back(
        {vocab_id(left, merge), vocab_id(right, merge), vocab_id(left + right, merge)});
  }

  BytePairEncoder::Options options;
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    const std::string unk = model["unk_token"].get<std::string>();
    const auto it = impl->vocab.find(unk);
    if (it == impl->vocab.end()) throw fail("unk_token '" + unk + "' is not in the vocab");
    options.unk_id = it->second;
  }
  options.fuse_unk = model.value("fuse_unk", false);
  if (model.value("ignore_merges", false)) {
    options.whole_piece_ids.emplace();
    for (const auto& [token, id] : impl->vocab) {
      (*options.whole_piece_ids)[byte_level::decode(token)] = id;
    }
  }
  impl->bpe.emplace(impl->byte_ids, merges, std::move(options));
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(impl)));
}

void Tokenizer::Impl::encode_piece(std::string_view piece, std::vector<std::int64_t>& out) const {
  if (piece.size() == 1 && byte_ids[static_cast<unsigned char>(piece[0])] >= 0) {
    out.push_back(byte_ids[static_cast<unsigned char>(piece[0])]);
    return;
  }
  // Long pieces (runs of spaces, CJK sentences) rarely repeat; caching them only costs memory.
  // Hugging Face draws the line at 256 bytes too.
  if (piece.size() > 256) {
    thread_local std::vector<std::int32_t> ids;
    ids.clear();
    bpe->encode_piece(piece, ids);
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }
  thread_local PieceCache cache;
  cache.claim(serial);
  const std::uint64_t hash = PieceCache::hash(piece);
  std::uint32_t count = 0;
  const std::int32_t* ids = cache.find(piece, hash, count);
  if (!ids) {
    const std::size_t offset = cache.ids().size();
    bpe->encode_piece(piece, cache.ids());
    cache.commit(piece, hash, offset);
    ids = cache.ids().data() + offset;
    count = static_cast<std::uint32_t>(cache.ids().size() - offset);
  }
  out.insert(out.end(), ids, ids + count);
}

void Tokenizer::Impl::encode_plain(std::string_view text, std::vector<std::int64_t>& out) const {
  if (text.empty()) return;
  thread_local std::vector<std::string_view> pieces;
  thread_local std::deque<std::string> storage;
  pieces.clear();
  storage.clear();
  pre_tokenizer.split(text, pieces, storage);
  for (std::string_view piece : pieces) encode_piece(piece, out);
}

void Tokenizer::Impl::encode_unnormalized(std::string_view text,
                                          std::vector<std::int64_t>& out) const {
  // Normalized added tokens are looked for in what the raw-text tokens left (there being no
  // normalizer, the normalized text is the text itself).
  std::size_t pos = 0;
  while (pos < text.size()) {
    const AddedTokenMatcher::Match m = normalized_tokens.find(text, pos);
    encode_plain(text.substr(pos, m.begin - pos), out);
    if (m.id < 0) break;
    out.push_back(m.id);
    pos = m.end;
  }
}

std::vector<int64_t> Tokenizer::encode(std::string_view text) const {
  const std::size_t invalid = utf8::first_invalid_offset(text);
  if (invalid != text.size()) {
    throw TokenizerError("text to encode is not valid UTF-8 (at byte " + std::to_string(invalid) +
                         ")");
  }
  std::vector<int64_t> out;
  out.reserve(text.size() / 3 + 4);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const AddedTokenMatcher::Match m = impl_->unnormalized_tokens.find(text, pos);
    impl_->encode_unnormalized(text.substr(pos, m.begin - pos), out);
    if (m.id < 0) break;
    out.push_back(m.id);
    pos = m.end;
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int64_t id : ids) {
    if (!has_token(id)) continue;
    if (skip_special_tokens && impl_->token_kind[static_cast<std::size_t>(id)] == 3) continue;
    bytes += impl_->token_bytes[static_cast<std::size_t>(id)];
  }
  return utf8::decode_lossy(bytes);
}

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const auto it = impl_->added.find(token); it != impl_->added.end()) return it->second;
  if (const auto it = impl_->vocab.find(token); it != impl_->vocab.end()) return it->second;
  return std::nullopt;
}

bool Tokenizer::has_token(int64_t id) const {
  return id >= 0 && id < vocab_size() && impl_->token_kind[static_cast<std::size_t>(id)] != 0;
}

std::string Tokenizer::id_to_token(int64_t id) const {
  if (!has_token(id)) throw TokenizerError("no token has id " + std::to_string(id));
  return impl_->token_text[static_cast<std::size_t>(id)];
}

bool Tokenizer::is_special(int64_t id) const {
  return has_token(id) && impl_->token_kind[static_cast<std::size_t>(id)] == 3;
}

int64_t Tokenizer::vocab_size() const {
  return static_cast<int64_t>(impl_->token_kind.size());
}

std::string Tokenizer::token_bytes(int64_t id) const {
  if (!has_token(id)) throw TokenizerError("no token has id " + std::to_string(id));
  return impl_->token_bytes[static_cast<std::size_t>(id)];
}

}  // namespace mote
