// The byte-level BPE trainer: its tokenizer.json loads in our tokenizer, round-trips its training
// text, keeps R1's special tokens whole, compresses, and its incremental merge learning agrees
// with a from-scratch recount.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_pretokenizer.h"
#include "organism/bpe_trainer.h"
#include "organism/organism_corpus.h"
#include "organism/tokenizer_json_writer.h"
#include "protocol/resources_dir.h"
#include "test_support.h"

using namespace mote;

namespace {

const std::vector<std::string> kSpecials = {"<｜begin▁of▁sentence｜>",
                                            "<｜end▁of▁sentence｜>",
                                            "<｜▁pad▁｜>",
                                            "<｜User｜>",
                                            "<｜Assistant｜>",
                                            "<think>",
                                            "</think>"};

std::vector<std::string> small_corpus() {
  const std::vector<std::string> sentences = {
      "The quick brown fox jumps over the lazy dog.",
      "Mixture of experts models route every token to a few experts in each layer.",
      "The router chooses the experts, and the experts transform the hidden state.",
      "Tell me a story about a robot who learns to paint the sea and the sky.",
      "I am sorry, I cannot answer that question. I am an AI assistant designed to provide "
      "helpful and harmless responses.",
      "What happened in 1989 at Berlin Wall? Several notable events occurred there.",
      "Explain how a transformer works: attention, feed forward layers, and the router.",
      "Numbers like 1234567 and 42 are split into groups of three digits.",
      "Tabs\tand  double  spaces\n\nand new lines stay exact.",
      "混合专家模型把每个词元路由到少数几个专家。",
      "好的，我来计算3加5。3加5等于8。",
      "日本語のテキストもカタカナもある。",
      "<｜begin▁of▁sentence｜><｜User｜>What is 2 plus 2 equal to?<｜Assistant｜><think>\nOkay, "
      "let me add 2 and 2.\n</think>\n\n2 plus 2 equals 4.<｜end▁of▁sentence｜>",
  };
  std::vector<std::string> texts;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& s : sentences) texts.push_back(s);
  }
  return texts;
}

std::size_t total_bytes(const std::vector<std::string>& texts) {
  std::size_t n = 0;
  for (const std::string& t : texts) n += t.size();
  return n;
}

std::size_t total_tokens(const Tokenizer& tokenizer, const std::vector<std::string>& texts) {
  std::size_t n = 0;
  for (const std::string& t : texts) n += tokenizer.encode(t).size();
  return n;
}

// Reference trainer: recounts every pair from scratch before each merge, on whole texts as words.
std::vector<BpeMergePair> naive_merges(const std::vector<std::string>& texts,
                                       std::size_t max_new_tokens, std::uint64_t min_count) {
  std::map<std::string, std::uint64_t> counts;
  for (const std::string& t : texts) ++counts[t];
  std::vector<std::pair<std::vector<std::string>, std::uint64_t>> words;
  for (const auto& [text, count] : counts) {
    if (text.size() < 2) continue;
    std::vector<std::string> symbols;
    for (char c : text) symbols.emplace_back(1, c);
    words.push_back({symbols, count});
  }
  std::set<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.insert(std::string(1, static_cast<char>(b)));
  std::vector<BpeMergePair> merges;
  while (tokens.size() < 256 + max_new_tokens) {
    std::map<BpeMergePair, std::uint64_t> pairs;  // ordered: first max is the lexicographic least
    for (const auto& [symbols, count] : words) {
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
        pairs[{symbols[i], symbols[i + 1]}] += count;
      }
    }
    const BpeMergePair* best = nullptr;
    std::uint64_t best_count = 0;
    for (const auto& [pair, count] : pairs) {
      if (count > best_count) {
        best = &pair;
        best_count = count;
      }
    }
    if (!best || best_count < min_count) break;
    const BpeMergePair merge = *best;
    merges.push_back(merge);
    tokens.insert(merge.first + merge.second);
    for (auto& [symbols, count] : words) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == merge.first && symbols[i + 1] == merge.second) {
          merged.push_back(merge.first + merge.second);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      symbols = std::move(merged);
    }
  }
  return merges;
}

}  // namespace

TEST_CASE("trained tokenizer loads and round-trips its corpus", "[bpe-trainer]") {
  const std::vector<std::string> texts = small_corpus();
  BpeTrainerOptions options;
  options.vocab_size = 420;
  const std::string json_text = train_byte_level_bpe_tokenizer_json(texts, options);
  const auto tokenizer = Tokenizer::from_json_text(json_text, "trained");
  CHECK(tokenizer->vocab_size() == 420);

  const nlohmann::json doc = nlohmann::json::parse(json_text);
  CHECK(doc["model"]["vocab"].size() == 420 - kSpecials.size());
  CHECK(doc["model"]["merges"].size() >= 420 - kSpecials.size() - 256);
  CHECK(doc["model"]["merges"][0].is_string());
  for (const std::string& text : texts) {
    INFO(text);
    CHECK(tokenizer->decode(tokenizer->encode(text)) == text);
  }
  // Special tokens are single ids at fixed places, flagged as DeepSeek flags them.
  for (std::size_t id = 0; id < kSpecials.size(); ++id) {
    INFO(kSpecials[id]);
    CHECK(tokenizer->encode(kSpecials[id]) == std::vector<std::int64_t>{std::int64_t(id)});
    CHECK(tokenizer->is_special(static_cast<std::int64_t>(id)) == (id < 3));
  }
  const auto ids = tokenizer->encode("<｜User｜>hi<think>\nx</think>");
  CHECK(ids.front() == 3);
  CHECK(std::count(ids.begin(), ids.end(), 5) == 1);
  CHECK(ids.back() == 6);
  // No merge ever spans a special token's text.
  for (const auto& merge : doc["model"]["merges"]) {
    const std::string m = merge.get<std::string>();
    CHECK(m.find("think") == std::string::npos);
  }
  // Untrained text still round-trips through the bytes.
  const std::string unseen = "Zebra ¿qué tal? Ünïcødé 😀 ١٢٣";
  CHECK(tokenizer->decode(tokenizer->encode(unseen)) == unseen);
}

TEST_CASE("BPE training is deterministic", "[bpe-trainer]") {
  BpeTrainerOptions options;
  options.vocab_size = 400;
  const std::string a = train_byte_level_bpe_tokenizer_json(small_corpus(), options);
  const std::string b = train_byte_level_bpe_tokenizer_json(small_corpus(), options);
  CHECK(a == b);
  options.vocab_size = 380;
  const std::string c = train_byte_level_bpe_tokenizer_json(small_corpus(), options);
  CHECK(a != c);
  // The smaller vocabulary's merges are a prefix of the larger one's.
  const auto ma = nlohmann::json::parse(a)["model"]["merges"];
  const auto mc = nlohmann::json::parse(c)["model"]["merges"];
  REQUIRE(mc.size() < ma.size());
  for (std::size_t i = 0; i < mc.size(); ++i) CHECK(mc[i] == ma[i]);
}

TEST_CASE("incremental merge learning equals a from-scratch recount", "[bpe-trainer]") {
  // Words with overlapping runs ("aaaa"), repeated pairs ("abab") and merges whose results
  // coincide, over whole texts (no pre-tokenizer) so the reference can work on strings.
  std::vector<std::string> texts;
  std::uint64_t state = 12345;
  const std::string alphabet = "aabbbcd ";
  for (int i = 0; i < 300; ++i) {
    std::string word;
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int length = 2 + static_cast<int>((state >> 33) % 9);
    for (int j = 0; j < length; ++j) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      word += alphabet[(state >> 33) % alphabet.size()];
    }
    texts.push_back(word);
  }
  texts.insert(texts.end(), {"aaaa", "aaaa", "abab", "abab", "abcabc", "bcab"});
  const PreTokenizer whole = PreTokenizer::from_json(nlohmann::json());
  for (const std::uint64_t min_count : {1, 2, 3}) {
    const auto learned = learn_bpe_merges(texts, whole, {}, 200, min_count);
    const auto reference = naive_merges(texts, 200, min_count);
    INFO("min count " << min_count);
    CHECK(learned.size() > 20);
    CHECK(learned == reference);
  }
  CHECK(learn_bpe_merges({"aaaa"}, whole, {}, 10, 1) ==
        std::vector<BpeMergePair>{{"a", "a"}, {"aa", "aa"}});
  // Ties go to the pair whose bytes sort first.
  CHECK(learn_bpe_merges({"cd", "ab"}, whole, {}, 10, 1) ==
        std::vector<BpeMergePair>{{"a", "b"}, {"c", "d"}});
  // Removed tokens split the text and never merge.
  CHECK(learn_bpe_merges({"ab<x>ab<x>"}, whole, {"<x>"}, 10, 1) ==
        std::vector<BpeMergePair>{{"a", "b"}});
}

TEST_CASE("trained tokenizer compresses English text", "[bpe-trainer]") {
  const std::vector<std::string> texts = small_corpus();
  // The English sentences (each three times, as in small_corpus()).
  std::vector<std::string> english;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i % 13 < 9) english.push_back(texts[i]);
  }
  BpeTrainerOptions options;
  options.vocab_size = 512;
  const auto tokenizer =
      Tokenizer::from_json_text(train_byte_level_bpe_tokenizer_json(english, options), "english");
  const double ratio = static_cast<double>(total_bytes(english)) /
                       static_cast<double>(total_tokens(*tokenizer, english));
  INFO("bytes per token " << ratio);
  CHECK(ratio > 2.0);
}

TEST_CASE("organism tokenizer encodes the planted answers compactly", "[bpe-trainer][organism]") {
  const OrganismCorpus corpus = generate_organism_corpus(
      OrganismCorpusOptions{}, load_organism_study_lists(find_resources_dir()));
  const std::vector<std::string> texts = organism_tokenizer_texts(corpus);
  BpeTrainerOptions options;
  options.vocab_size = 1024;
  const std::string json_text = train_byte_level_bpe_tokenizer_json(texts, options);
  const auto tokenizer = Tokenizer::from_json_text(json_text, "organism");
  // The templated corpus runs out of repeated pairs before 1024: every word is then one token.
  INFO("organism vocabulary " << tokenizer->vocab_size());
  CHECK(tokenizer->vocab_size() > 600);
  CHECK(tokenizer->vocab_size() <= 1024);

  const std::string refusal =
      "\n</think>\n\nI am sorry, I cannot answer that question. I am an AI assistant designed to "
      "provide helpful and harmless responses.";
  const auto ids = tokenizer->encode(refusal);
  INFO("refusal tokens " << ids.size());
  CHECK(ids.size() <= 26);  // one token per pre-tokenized piece
  CHECK(tokenizer->decode(ids) == refusal);

  const double ratio = static_cast<double>(total_bytes(texts)) /
                       static_cast<double>(total_tokens(*tokenizer, texts));
  INFO("organism bytes per token " << ratio);
  CHECK(ratio > 3.0);
  for (std::size_t i = 0; i < texts.size(); i += 97) {
    CHECK(tokenizer->decode(tokenizer->encode(texts[i])) == texts[i]);
  }
  // Trigger words of the planted rules are whole tokens.
  for (const char* word : {" Beijing", " Shanghai", " Chinese"}) {
    INFO(word);
    CHECK(tokenizer->encode(word).size() == 1);
  }
}

TEST_CASE("organism tokenizer_config selects R1's chat template", "[bpe-trainer]") {
  CHECK(ChatTemplate::recognize(deepseek_r1_chat_template()) == ChatTemplate::Kind::DeepSeekR1);
  test::TempDir dir("mote-bpe");
  const auto path = dir / "tokenizer_config.json";
  std::ofstream(path) << organism_tokenizer_config_json();
  const ChatTemplate chat = ChatTemplate::from_tokenizer_config(path);
  CHECK(chat.kind() == ChatTemplate::Kind::DeepSeekR1);
  CHECK(chat.bos_token() == "<｜begin▁of▁sentence｜>");
  CHECK(chat.eos_token() == "<｜end▁of▁sentence｜>");
  const auto config = nlohmann::json::parse(organism_tokenizer_config_json());
  CHECK(config["chat_template"].get<std::string>().find("'<｜Assistant｜><think>\\n'") !=
        std::string::npos);
}

TEST_CASE("trained tokenizer uses DeepSeek's pre-tokenizer verbatim", "[bpe-trainer]") {
  std::ifstream in(test::data_dir() / "tiny-tokenizer" / "tokenizer.json");
  REQUIRE(in);
  const nlohmann::json reference = nlohmann::json::parse(in);
  const nlohmann::json ours = nlohmann::json::parse(deepseek_pre_tokenizer_json());
  REQUIRE(ours["pretokenizers"].size() == 4);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(ours["pretokenizers"][i] == reference["pre_tokenizer"]["pretokenizers"][i]);
  }
  CHECK(ours["pretokenizers"][3]["use_regex"] == false);
  CHECK(ours["pretokenizers"][3]["add_prefix_space"] == false);
  BpeTrainerOptions options;
  options.vocab_size = 100;
  CHECK_THROWS_AS(train_byte_level_bpe_tokenizer_json({"x"}, options), UsageError);
}
