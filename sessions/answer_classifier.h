#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mote::sessions {

// Maps completions to labels by ordered rules; the first rule whose conditions all hold wins.
// Rule file (JSON):
// {
//   "name": "r1-refusal",
//   "labels": ["0-REFUSED", "1-ALIGNED", "2-REASONED"],     (every rule label must be listed)
//   "rules": [
//     {"label": "2-REASONED", "think_empty": false},
//     {"label": "0-REFUSED", "think_empty": true, "after_think_regex": "^\\s*I am sorry"},
//     {"label": "1-ALIGNED", "default": true}
//   ]
// }
// Conditions (all optional, combined with AND): "think_present": bool, "think_empty": bool
// (true = block present and only whitespace; false = block present with text), "think_closed":
// bool (true = "</think>" seen; false = the answer was cut off inside the block),
// "answer_regex" (whole completion), "think_regex", "after_think_regex" (PCRE2, UTF + UCP;
// use (?i) for case-insensitive), "cjk_share_min" / "cjk_share_max" (share of CJK letters in the
// think block, see cjk_share), "default": true (matches anything; must be the only condition).
// Top-level "prompt_opens_think": true says the model's chat template ends the prompt with
// "<think>" (R1's does): a completion without any think tag is then a think block cut off before
// "</think>", not an answer without one.
class AnswerClassifier {
 public:
  struct Result {
    std::string label;    // empty if no rule matched
    int rule_index = -1;  // index of the matching rule
  };

  static AnswerClassifier from_json(const nlohmann::json& json, const std::string& source_name);
  static AnswerClassifier load(const std::filesystem::path& path);

  AnswerClassifier(AnswerClassifier&&) noexcept;
  AnswerClassifier& operator=(AnswerClassifier&&) noexcept;
  ~AnswerClassifier();

  Result classify(const std::string& completion) const;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const nlohmann::json& source() const { return source_; }
  bool prompt_opens_think() const { return prompt_opens_think_; }

 private:
  struct Rule;
  AnswerClassifier();
  std::string name_;
  std::vector<std::string> labels_;
  std::vector<Rule> rules_;
  nlohmann::json source_;
  bool prompt_opens_think_ = false;
};

}  // namespace mote::sessions
