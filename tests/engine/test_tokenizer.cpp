// Tokenizer core logic on a tiny hand-built tokenizer.json (no download needed): BPE merge order,
// added tokens, pre-tokenizer steps, byte-level decoding, and the errors for unsupported files.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_bpe.h"
#include "engine/tokenizer/tokenizer_byte_level.h"
#include "engine/tokenizer/tokenizer_pretokenizer.h"
#include "engine/tokenizer/tokenizer_streaming_decoder.h"
#include "engine/tokenizer/tokenizer_utf8.h"

using mote::Tokenizer;
using json = nlohmann::json;

namespace {

// ids: 0 "<s>" (special), 1 "</s>" (special), 2.. the 256 byte symbols in byte order, then one id
// per merge result in merge order.
const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"h", "e"},   {"l", "l"},     {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"},  {"o", "r"},
    {"Ġw", "or"}, {"Ġwor", "ld"}, {"l", "d"},   {"a", "a"},    {"aa", "a"}, {"1", "2"},
};

json tiny_tokenizer_json() {
  json vocab = json::object();
  vocab["<s>"] = 0;
  vocab["</s>"] = 1;
  for (int b = 0; b < 256; ++b) vocab[mote::byte_level::symbol_for_byte(b)] = 2 + b;
  json merges = json::array();
  int next_id = 258;
  for (const auto& [left, right] : kMerges) {
    merges.push_back(left + " " + right);
    if (!vocab.contains(left + right)) vocab[left + right] = next_id++;
  }
  return json{
      {"version", "1.0"},
      {"added_tokens",
       json::array({
           {{"id", 0}, {"content", "<s>"}, {"special", true}, {"normalized", false}},
           {{"id", 1}, {"content", "</s>"}, {"special", true}, {"normalized", false}},
           {{"id", next_id}, {"content", "<tool>"}, {"special", false}, {"normalized", true}},
           {{"id", next_id + 1}, {"content", "<tool>x"}, {"special", false}, {"normalized", true}},
       })},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", json::array()}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         json::array({
             {{"type", "Split"},
              {"pattern", {{"Regex", "\\p{N}{1,3}"}}},
              {"behavior", "Isolated"},
              {"invert", false}},
             {{"type", "Split"},
              {"pattern", {{"Regex", "\\s?[^\\s\\p{N}]+|\\s+(?!\\S)|\\s+"}}},
              {"behavior", "Isolated"},
              {"invert", false}},
             {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}},
         })}}},
      {"post_processor", {{"type", "ByteLevel"}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

std::shared_ptr<const Tokenizer> load(const json& doc) {
  return Tokenizer::from_json_text(doc.dump(), "tiny tokenizer.json");
}

int64_t byte_id(unsigned char b) {
  return 2 + b;
}

std::string error_of(const json& doc) {
  try {
    load(doc);
  } catch (const mote::TokenizerError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("tiny tokenizer applies merges by rank", "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  const int64_t hello = *tok->token_to_id("hello");
  const int64_t world = *tok->token_to_id("Ġworld");
  CHECK(tok->encode("hello world") == std::vector<int64_t>{hello, world});
  CHECK(tok->encode("") == std::vector<int64_t>{});
  CHECK(tok->encode("hel") == std::vector<int64_t>{*tok->token_to_id("he"), byte_id('l')});
  // Equal-rank pairs merge leftmost first: "aaaa" -> aa|aa, "aaaaa" -> aa|aa|a -> aa|aaa.
  const int64_t aa = *tok->token_to_id("aa"), aaa = *tok->token_to_id("aaa");
  CHECK(tok->encode("aaaa") == std::vector<int64_t>{aa, aa});
  CHECK(tok->encode("aaaaa") == std::vector<int64_t>{aa, aaa});
  CHECK(tok->encode("aaa") == std::vector<int64_t>{aaa});
  // Numbers are cut into groups of three before anything else.
  CHECK(tok->encode("1212") ==
        std::vector<int64_t>{*tok->token_to_id("12"), byte_id('1'), byte_id('2')});
}

TEST_CASE("tiny tokenizer matches added tokens leftmost-longest and never BPEs them",
          "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  const int64_t tool = *tok->token_to_id("<tool>"), toolx = *tok->token_to_id("<tool>x");
  const int64_t hello = *tok->token_to_id("hello");
  CHECK(tok->encode("<s>hello</s>") == std::vector<int64_t>{0, hello, 1});
  CHECK(tok->encode("<tool>xhello<tool>") == std::vector<int64_t>{toolx, hello, tool});
  CHECK(tok->encode("a<s>") == std::vector<int64_t>{byte_id('a'), 0});
  // A near miss is plain text.
  CHECK(tok->encode("<s") == std::vector<int64_t>{byte_id('<'), byte_id('s')});
  CHECK(tok->is_special(0));
  CHECK_FALSE(tok->is_special(tool));
  CHECK(tok->vocab_size() == toolx + 1);
  CHECK(tok->id_to_token(byte_id(' ')) == "Ġ");
  CHECK(tok->token_bytes(*tok->token_to_id("Ġworld")) == " world");
  CHECK(tok->token_bytes(tool) == "<tool>");
  CHECK_FALSE(tok->token_to_id("nope"));
  CHECK_THROWS_AS(tok->id_to_token(-1), mote::TokenizerError);
  CHECK_THROWS_AS(tok->token_bytes(toolx + 1), mote::TokenizerError);
}

TEST_CASE("tiny tokenizer decodes bytes, skips specials and replaces invalid UTF-8",
          "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  const std::string text = "<s>hello world 中文 🎉</s>";
  const auto ids = tok->encode(text);
  CHECK(tok->decode(ids) == text);
  CHECK(tok->decode(ids, true) == "hello world 中文 🎉");
  // 中 is E4 B8 AD: a truncated sequence is one U+FFFD, a bad byte another.
  CHECK(tok->decode({byte_id(0xE4), byte_id(0xB8)}) == "\xEF\xBF\xBD");
  CHECK(tok->decode({byte_id(0xE4), byte_id('a')}) ==
        "\xEF\xBF\xBD"
        "a");
  CHECK(tok->decode({byte_id(0xFF), byte_id(0xE4), byte_id(0xB8), byte_id(0xAD)}) ==
        "\xEF\xBF\xBD中");
  CHECK(tok->decode({byte_id(0xF0), byte_id(0x80)}) == "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Ids without a token are skipped, as Hugging Face does.
  CHECK(tok->decode({*tok->token_to_id("hello"), 999999, -5}) == "hello");
}

TEST_CASE("tiny tokenizer rejects text that is not UTF-8", "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  CHECK_THROWS_AS(tok->encode("ab\xFF"), mote::TokenizerError);
  CHECK_THROWS_AS(tok->encode("\xE4\xB8"), mote::TokenizerError);
}

TEST_CASE("merges given as [left, right] arrays load like strings", "[tokenizer]") {
  json doc = tiny_tokenizer_json();
  json merges = json::array();
  for (const auto& [left, right] : kMerges) merges.push_back(json::array({left, right}));
  doc["model"]["merges"] = merges;
  const auto tok = load(doc);
  CHECK(tok->encode("hello world") == load(tiny_tokenizer_json())->encode("hello world"));
}

TEST_CASE("ignore_merges takes a piece that is in the vocab as is", "[tokenizer]") {
  json doc = tiny_tokenizer_json();
  doc["model"]["vocab"]["abc"] = 1000;
  CHECK(load(doc)->encode("abc").size() == 3);
  doc["model"]["ignore_merges"] = true;
  CHECK(load(doc)->encode("abc") == std::vector<int64_t>{1000});
}

TEST_CASE("unsupported tokenizer.json features are TokenizerErrors naming them", "[tokenizer]") {
  json doc = tiny_tokenizer_json();
  SECTION("model type") {
    doc["model"]["type"] = "Unigram";
    CHECK_THAT(error_of(doc), Catch::Contains("Unigram"));
  }
  SECTION("normalizer") {
    doc["normalizer"] = {{"type", "NFC"}};
    CHECK_THAT(error_of(doc), Catch::Contains("NFC"));
  }
  SECTION("normalizer inside a Sequence") {
    doc["normalizer"]["normalizers"] = json::array({{{"type", "Lowercase"}}});
    CHECK_THAT(error_of(doc), Catch::Contains("Lowercase"));
  }
  SECTION("pre-tokenizer") {
    doc["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Digits"}};
    CHECK_THAT(error_of(doc), Catch::Contains("Digits"));
  }
  SECTION("no ByteLevel") {
    doc["pre_tokenizer"]["pretokenizers"].erase(2);
    CHECK_THAT(error_of(doc), Catch::Contains("ByteLevel"));
  }
  SECTION("decoder") {
    doc["decoder"] = {{"type", "WordPiece"}};
    CHECK_THAT(error_of(doc), Catch::Contains("WordPiece"));
  }
  SECTION("byte fallback") {
    doc["model"]["byte_fallback"] = true;
    CHECK_THAT(error_of(doc), Catch::Contains("byte_fallback"));
  }
  SECTION("subword prefix") {
    doc["model"]["continuing_subword_prefix"] = "##";
    CHECK_THAT(error_of(doc), Catch::Contains("continuing_subword_prefix"));
  }
  SECTION("added token lstrip") {
    doc["added_tokens"][2]["lstrip"] = true;
    CHECK_THAT(error_of(doc), Catch::Contains("lstrip") && Catch::Contains("<tool>"));
  }
  SECTION("merge outside the vocab") {
    doc["model"]["merges"].push_back("x yz");
    CHECK_THAT(error_of(doc), Catch::Contains("yz"));
  }
  SECTION("split behavior") {
    doc["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
    CHECK_THAT(error_of(doc), Catch::Contains("Sideways"));
  }
  SECTION("regex Oniguruma reads differently") {
    doc["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\h+";
    CHECK_THAT(error_of(doc), Catch::Contains("\\h"));
  }
  SECTION("not JSON") {
    CHECK_THROWS_WITH(Tokenizer::from_json_text("{nope", "broken.json"),
                      Catch::Contains("broken.json"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(Tokenizer::from_file("/nonexistent/tokenizer.json"),
                      Catch::Contains("/nonexistent/tokenizer.json"));
  }
}

TEST_CASE("Split behaviors follow Hugging Face's examples", "[tokenizer]") {
  auto pieces = [](const std::string& behavior, bool invert = false) {
    const auto pre = mote::PreTokenizer::from_json({{"type", "Split"},
                                                    {"pattern", {{"String", "-"}}},
                                                    {"behavior", behavior},
                                                    {"invert", invert}});
    std::vector<std::string_view> out;
    std::deque<std::string> storage;
    pre.split("the-final--countdown", out, storage);
    return std::vector<std::string>(out.begin(), out.end());
  };
  using V = std::vector<std::string>;
  CHECK(pieces("Removed") == V{"the", "final", "countdown"});
  CHECK(pieces("Isolated") == V{"the", "-", "final", "-", "-", "countdown"});
  CHECK(pieces("MergedWithPrevious") == V{"the-", "final-", "-", "countdown"});
  CHECK(pieces("MergedWithNext") == V{"the", "-final", "-", "-countdown"});
  CHECK(pieces("Contiguous") == V{"the", "-", "final", "--", "countdown"});
  CHECK(pieces("Removed", true) == V{"-", "-", "-"});
}

TEST_CASE("ByteLevel with use_regex and add_prefix_space splits like GPT-2", "[tokenizer]") {
  const auto pre = mote::PreTokenizer::from_json(
      {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}});
  std::vector<std::string_view> out;
  std::deque<std::string> storage;
  pre.split("Hello, it's  12 you", out, storage);
  CHECK(std::vector<std::string>(out.begin(), out.end()) ==
        std::vector<std::string>{" Hello", ",", " it", "'s", " ", " 12", " you"});
}

TEST_CASE("regex \\s is Unicode White_Space, as in Oniguruma", "[tokenizer]") {
  const auto space = mote::TokenizerRegex::from_oniguruma("\\s");
  const auto non_space = mote::TokenizerRegex::from_oniguruma("\\S");
  auto is_white_space = [](char32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
  };
  std::vector<mote::RegexMatch> matches;
  int mismatches = 0;
  for (char32_t cp = 1; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    mote::utf8::append_code_point(cp, s);
    matches.clear();
    space.find_matches(s, matches);
    const bool matched_space = !matches.empty();
    matches.clear();
    non_space.find_matches(s, matches);
    const bool matched_non_space = !matches.empty();
    if (matched_space != is_white_space(cp) || matched_non_space == is_white_space(cp)) {
      if (++mismatches < 10) FAIL_CHECK("code point " << static_cast<uint32_t>(cp));
    }
  }
  CHECK(mismatches == 0);
  CHECK_THROWS_AS(mote::TokenizerRegex::from_oniguruma("[\\S]"), mote::TokenizerError);
}

TEST_CASE("BPE by scanning and by priority queue agree", "[tokenizer]") {
  // Random merges over a four-letter alphabet, random strings: both algorithms must give the
  // same ids, short and long.
  std::mt19937 rng(1234);
  std::array<std::int32_t, 256> byte_ids;
  byte_ids.fill(-1);
  std::vector<std::string> tokens;
  for (char c : std::string("abcd")) {
    byte_ids[static_cast<unsigned char>(c)] = static_cast<std::int32_t>(tokens.size());
    tokens.emplace_back(1, c);
  }
  std::vector<mote::BpeMerge> merges;
  for (int i = 0; i < 60; ++i) {
    const auto left = static_cast<std::int32_t>(rng() % tokens.size());
    const auto right = static_cast<std::int32_t>(rng() % tokens.size());
    merges.push_back({left, right, static_cast<std::int32_t>(tokens.size())});
    tokens.push_back(tokens[left] + tokens[right]);
  }
  const mote::BytePairEncoder bpe(byte_ids, merges, {});
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s(1 + rng() % 120, 'a');
    for (char& c : s) c = "abcd"[rng() % 4];
    std::vector<std::int32_t> by_scan, by_queue;
    bpe.encode_by_scanning(s, by_scan);
    bpe.encode_by_queue(s, by_queue);
    REQUIRE(by_scan == by_queue);
    std::string joined;
    for (auto id : by_scan) joined += tokens[id];
    REQUIRE(joined == s);
  }
}

TEST_CASE("streaming decoder holds back incomplete UTF-8 and matches decode", "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  SECTION("a character split across byte tokens appears once complete") {
    mote::StreamingDecoder stream(tok);
    CHECK(stream.push(byte_id('a')) == "a");
    CHECK(stream.push(byte_id(0xE4)).empty());
    CHECK(stream.push(byte_id(0xB8)).empty());
    CHECK(stream.push(byte_id(0xAD)) == "中");
    CHECK(stream.finish().empty());
  }
  SECTION("bytes that can never be valid are replaced at once") {
    mote::StreamingDecoder stream(tok);
    CHECK(stream.push(byte_id(0xFF)) == "\xEF\xBF\xBD");
    CHECK(stream.push(byte_id(0xE4)).empty());
    CHECK(stream.push(byte_id('x')) == "\xEF\xBF\xBDx");
  }
  SECTION("an unfinished sequence becomes U+FFFD at the end") {
    mote::StreamingDecoder stream(tok);
    CHECK(stream.push(byte_id(0xF0)).empty());
    CHECK(stream.push(byte_id(0x9F)).empty());
    CHECK(stream.finish() == "\xEF\xBF\xBD");
  }
  SECTION("special tokens can be skipped") {
    mote::StreamingDecoder stream(tok, true);
    CHECK(stream.push(0).empty());
    CHECK(stream.push(*tok->token_to_id("hello")) == "hello");
    CHECK(stream.push(1).empty());
  }
  SECTION("random byte streams concatenate to decode()") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<int64_t> ids(rng() % 12);
      for (auto& id : ids)
        id = byte_id(static_cast<unsigned char>(rng() % 2 ? 0x80 + rng() % 0x78 : rng() % 256));
      mote::StreamingDecoder stream(tok);
      std::string streamed;
      for (int64_t id : ids) streamed += stream.push(id);
      streamed += stream.finish();
      REQUIRE(streamed == tok->decode(ids));
    }
  }
}

TEST_CASE("regex property classes know characters newer than PCRE2's Unicode 14", "[tokenizer]") {
  // U+11F04 KAWI LETTER A (Unicode 15.0), U+1E5D0 OL ONAL LETTER O (16.0), U+1F8B0 an arrow-ish
  // symbol (15.0): the reference's Oniguruma counts them as L, L and S.
  std::vector<mote::RegexMatch> matches;
  auto matches_whole = [&](const std::string& pattern, const std::string& text) {
    matches.clear();
    mote::TokenizerRegex::from_oniguruma(pattern).find_matches(text, matches);
    return matches.size() == 1 && matches[0].begin == 0 && matches[0].end == text.size();
  };
  CHECK(matches_whole("\\p{L}+", "\U00011F04\U0001E5D0"));
  CHECK(matches_whole("[\\p{L}\\p{M}]+", "a\U00011F04"));
  CHECK(matches_whole("\\p{S}", "\U0001F8B0"));
  CHECK_FALSE(matches_whole("[^\\r\\n\\p{L}]", "\U00011F04"));
  CHECK_FALSE(matches_whole("\\P{L}", "\U00011F04"));
  CHECK(matches_whole("\\P{L}", "1"));
  CHECK_THROWS_AS(mote::TokenizerRegex::from_oniguruma("[\\P{L}]"), mote::TokenizerError);
}

TEST_CASE("encode is safe from many threads at once", "[tokenizer]") {
  const auto tok = load(tiny_tokenizer_json());
  const std::string text = "hello world <s> aaaa 1212 中文 hello";
  const auto expected = tok->encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tok->encode(text) != expected) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
}
