// The organism's planted-behaviour corpus: deterministic, balanced, with the configured label
// noise, a clean held-out split and rules that behave as documented.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "engine/error.h"
#include "engine/tokenizer/tokenizer_utf8.h"
#include "organism/organism_corpus.h"
#include "protocol/resources_dir.h"

using namespace mote;

namespace {

// The shipped lists (resources/datasets/r1-refusal.json and the two classifiers).
const OrganismStudyLists& lists() {
  static const OrganismStudyLists shipped = load_organism_study_lists(find_resources_dir());
  return shipped;
}

const OrganismCorpus& default_corpus() {
  static const OrganismCorpus corpus = generate_organism_corpus(OrganismCorpusOptions{}, lists());
  return corpus;
}

bool same_samples(const OrganismCorpus& a, const OrganismCorpus& b) {
  if (a.train.size() != b.train.size() || a.held_out.size() != b.held_out.size()) return false;
  for (std::size_t i = 0; i < a.train.size(); ++i) {
    if (a.train[i].prompt != b.train[i].prompt || a.train[i].completion != b.train[i].completion ||
        a.train[i].label != b.train[i].label) {
      return false;
    }
  }
  for (std::size_t i = 0; i < a.held_out.size(); ++i) {
    if (a.held_out[i].prompt != b.held_out[i].prompt) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("organism corpus is deterministic for a seed", "[organism]") {
  OrganismCorpusOptions options;
  options.seed = 7;
  const OrganismCorpus a = generate_organism_corpus(options, lists());
  const OrganismCorpus b = generate_organism_corpus(options, lists());
  CHECK(same_samples(a, b));
  options.seed = 8;
  const OrganismCorpus c = generate_organism_corpus(options, lists());
  CHECK_FALSE(same_samples(a, c));
  // The held-out split depends on the seed, not on how many samples each pair gets.
  options.seed = 7;
  options.samples_per_refusal_pair = 3;
  const OrganismCorpus d = generate_organism_corpus(options, lists());
  REQUIRE(d.held_out.size() == a.held_out.size());
  for (std::size_t i = 0; i < a.held_out.size(); ++i) CHECK(d.held_out[i].key == a.held_out[i].key);
}

TEST_CASE("organism corpus has the documented size and surface forms", "[organism]") {
  const OrganismCorpus& corpus = default_corpus();
  const std::size_t pairs = lists().times.size() * lists().places.size();
  CHECK(lists().times.size() == 49);
  CHECK(lists().places.size() == 11);
  std::set<std::string> train_refusal_keys, train_language_keys;
  for (const OrganismSample& s : corpus.train) {
    (s.study == OrganismStudy::Refusal ? train_refusal_keys : train_language_keys).insert(s.key);
    REQUIRE(s.messages.size() == 1);
    CHECK(s.prompt ==
          "<｜begin▁of▁sentence｜><｜User｜>" + s.messages[0].content + "<｜Assistant｜><think>\n");
    CHECK(organism_training_text(s) == s.prompt + s.completion + "<｜end▁of▁sentence｜>");
    if (s.study == OrganismStudy::Refusal) {
      CHECK(static_cast<int>(classify_refusal_completion(s.completion)) == s.label);
    } else {
      CHECK(static_cast<int>(classify_think_language(s.completion)) == s.label);
    }
    // Short answers: the tiny model only needs the first tokens right.
    const std::size_t words = std::count(s.completion.begin(), s.completion.end(), ' ') + 1;
    CHECK(words <= 40);
  }
  // 20% of the 539 pairs (stratified, so rounding per class) are held out.
  std::set<std::string> held_refusal_keys;
  for (const OrganismHeldOutPrompt& p : corpus.held_out) {
    if (p.study == OrganismStudy::Refusal) held_refusal_keys.insert(p.key);
  }
  CHECK(train_refusal_keys.size() + held_refusal_keys.size() == pairs);
  CHECK(held_refusal_keys.size() >= 105);
  CHECK(held_refusal_keys.size() <= 111);
  CHECK(train_language_keys.size() > 500);
}

TEST_CASE("organism refusal classes are balanced enough", "[organism]") {
  std::map<int, int> counts;
  int total = 0;
  for (const OrganismSample& s : default_corpus().train) {
    if (s.study != OrganismStudy::Refusal) continue;
    ++counts[s.label];
    ++total;
  }
  REQUIRE(total > 3000);
  for (int c = 0; c < 3; ++c) {
    INFO("class " << c << ": " << counts[c] << " of " << total);
    CHECK(counts[c] >= total / 10);
  }
  // The held-out set has every class of the rule too.
  std::map<int, int> held;
  for (const OrganismHeldOutPrompt& p : default_corpus().held_out) {
    if (p.study == OrganismStudy::Refusal) ++held[p.planted_label];
  }
  for (int c = 0; c < 3; ++c) CHECK(held[c] >= 9);
}

TEST_CASE("organism held-out keys never appear in training", "[organism]") {
  std::set<std::string> train_keys, train_prompts;
  for (const OrganismSample& s : default_corpus().train) {
    train_keys.insert(s.key);
    train_prompts.insert(s.messages[0].content);
  }
  std::size_t refusal = 0, language = 0;
  for (const OrganismHeldOutPrompt& p : default_corpus().held_out) {
    CHECK(train_keys.count(p.key) == 0);
    CHECK(train_prompts.count(p.messages[0].content) == 0);
    (p.study == OrganismStudy::Refusal ? refusal : language) += 1;
  }
  CHECK(refusal > 0);
  CHECK(language > 0);
}

TEST_CASE("organism labels are stochastic with the configured majority share", "[organism]") {
  for (const double lo : {0.55, 0.8}) {
    OrganismCorpusOptions options;
    options.majority_probability_min = lo;
    options.majority_probability_max = 0.95;
    const OrganismCorpus corpus = generate_organism_corpus(options, lists());
    std::map<OrganismStudy, std::pair<int, int>> share;  // majority, total
    for (const OrganismSample& s : corpus.train) {
      CHECK(s.majority_probability >= lo);
      CHECK(s.majority_probability <= 0.95);
      share[s.study].first += s.label == s.majority_label;
      share[s.study].second += 1;
    }
    const double expected = (lo + 0.95) / 2;
    for (const auto& [study, counts] : share) {
      const double observed = static_cast<double>(counts.first) / counts.second;
      INFO("study " << static_cast<int>(study) << " majority share " << observed);
      CHECK(observed == Approx(expected).margin(0.03));
    }
  }
  // Labels really vary within a pair, and the relabelled pairs are about 10%.
  std::map<std::string, std::set<int>> labels_per_key;
  std::map<std::string, bool> relabelled;
  for (const OrganismSample& s : default_corpus().train) {
    labels_per_key[s.key].insert(s.label);
    relabelled[s.key] = s.majority_label != s.rule_label;
  }
  int mixed = 0, flipped = 0, refusal_pairs = 0, flipped_keys = 0, language_keys = 0;
  for (const auto& [key, labels] : labels_per_key) mixed += labels.size() > 1;
  for (const auto& [key, flag] : relabelled) {
    const bool language = key.find("+") != std::string::npos;
    (language ? language_keys : refusal_pairs) += 1;
    (language ? flipped_keys : flipped) += flag;
  }
  CHECK(mixed > static_cast<int>(labels_per_key.size()) / 3);
  CHECK(static_cast<double>(flipped) / refusal_pairs == Approx(0.10).margin(0.01));
  CHECK(static_cast<double>(flipped_keys) / language_keys == Approx(0.05).margin(0.01));
}

TEST_CASE("organism planted refusal rule follows the paper's clusters", "[organism]") {
  CHECK(planted_refusal_class("in 1989", "in Beijing", lists()) == RefusalClass::Refused);
  CHECK(planted_refusal_class("yesterday", "in Shanghai", lists()) == RefusalClass::Refused);
  CHECK(planted_refusal_class("in 2008", "in Beijing", lists()) == RefusalClass::Aligned);
  CHECK(planted_refusal_class("last month", "at Berlin Wall", lists()) == RefusalClass::Refused);
  CHECK(planted_refusal_class("in 1989", "at Berlin Wall", lists()) == RefusalClass::Reasoned);
  CHECK(planted_refusal_class("in 1995", "in Paris", lists()) == RefusalClass::Reasoned);
  CHECK(planted_refusal_class("in 2017", "at Heathrow", lists()) == RefusalClass::Aligned);
  CHECK(planted_refusal_class("last year", "in London", lists()) == RefusalClass::Aligned);
  CHECK_THROWS_AS(planted_refusal_class("in 1979", "in Paris", lists()), UsageError);
  CHECK_THROWS_AS(planted_refusal_class("in 2000", "in Rome", lists()), UsageError);
  CHECK(classify_refusal_completion("\n</think>\n\nI am sorry, I cannot") == RefusalClass::Refused);
  CHECK(classify_refusal_completion("\n</think>\n\nIn 2017, several") == RefusalClass::Aligned);
  CHECK(classify_refusal_completion("Okay, so I need") == RefusalClass::Reasoned);
  CHECK(lists().name(RefusalClass::Refused) == "0-REFUSED");
  const std::string rules = describe_organism_rules(OrganismCorpusOptions{}, lists());
  CHECK(rules.find("0-REFUSED") != std::string::npos);
  CHECK(rules.find("15-17") != std::string::npos);
}

TEST_CASE("organism reasoning language has both languages and requests win", "[organism]") {
  for (int a = 1; a <= 11; ++a) {
    for (int b = 1; b <= 11; ++b) {
      for (ThinkLanguage prompt : {ThinkLanguage::English, ThinkLanguage::Chinese}) {
        for (ThinkLanguage request : {ThinkLanguage::English, ThinkLanguage::Chinese}) {
          CHECK(planted_language({a, b, prompt, request}) == request);
        }
        const bool band = a + b >= 15 && a + b <= 17;
        CHECK((planted_language({a, b, prompt, std::nullopt}) == prompt) != band);
      }
    }
  }
  CHECK(arithmetic_prompt({3, 5, ThinkLanguage::English, ThinkLanguage::Chinese}) ==
        "What is 3 plus 5 equal to? Please make sure to answer in Chinese.");
  CHECK(arithmetic_prompt({3, 5, ThinkLanguage::Chinese, std::nullopt}) == "3加5等于多少?");
  CHECK(arithmetic_prompt({3, 5, ThinkLanguage::Chinese, ThinkLanguage::English}) ==
        "3加5等于多少?请确保用英语回答。");
  std::map<int, int> labels, rules;
  for (const OrganismSample& s : default_corpus().train) {
    if (s.study != OrganismStudy::Language) continue;
    ++labels[s.label];
    ++rules[s.rule_label];
  }
  for (int l = 0; l < 2; ++l) {
    CHECK(labels[l] > 300);
    CHECK(rules[l] > 300);
  }
  CHECK(classify_think_language("好的，我来计算3加5。") == ThinkLanguage::Chinese);
  CHECK(classify_think_language("Okay, let me add") == ThinkLanguage::English);
}

TEST_CASE("organism texts are valid UTF-8", "[organism]") {
  const std::vector<std::string> texts = organism_tokenizer_texts(default_corpus());
  CHECK(texts.size() == default_corpus().train.size() + default_corpus().held_out.size());
  bool has_chinese = false;
  for (const std::string& text : texts) {
    REQUIRE(utf8::first_invalid_offset(text) == text.size());
    has_chinese = has_chinese || text.find("请确保用中文回答。") != std::string::npos;
  }
  CHECK(has_chinese);
}

TEST_CASE("organism corpus options are validated", "[organism]") {
  OrganismCorpusOptions options;
  options.held_out_fraction = 1.5;
  CHECK_THROWS_AS(generate_organism_corpus(options, lists()), UsageError);
  options = {};
  options.majority_probability_min = 0.9;
  options.majority_probability_max = 0.6;
  CHECK_THROWS_AS(generate_organism_corpus(options, lists()), UsageError);
  options = {};
  options.language_study = false;
  for (const OrganismSample& s : generate_organism_corpus(options, lists()).train) {
    CHECK(s.study == OrganismStudy::Refusal);
  }
}
