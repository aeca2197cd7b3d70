#include "sessions/answer_classifier.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "sessions/pcre2_regex.h"
#include "sessions/session_error.h"
#include "sessions/think_block.h"

namespace mote::sessions {

struct AnswerClassifier::Rule {
  std::string label;
  bool is_default = false;
  std::optional<bool> think_present;
  std::optional<bool> think_empty;
  std::optional<bool> think_closed;
  std::unique_ptr<Pcre2Regex> answer_regex;
  std::unique_ptr<Pcre2Regex> think_regex;
  std::unique_ptr<Pcre2Regex> after_think_regex;
  std::optional<double> cjk_share_min;
  std::optional<double> cjk_share_max;
};

AnswerClassifier::AnswerClassifier() = default;
AnswerClassifier::AnswerClassifier(AnswerClassifier&&) noexcept = default;
AnswerClassifier& AnswerClassifier::operator=(AnswerClassifier&&) noexcept = default;
AnswerClassifier::~AnswerClassifier() = default;

AnswerClassifier AnswerClassifier::from_json(const nlohmann::json& json,
                                             const std::string& source_name) {
  if (!json.is_object()) throw SessionError(source_name + ": a rule file must be a JSON object");
  AnswerClassifier classifier;
  classifier.source_ = json;
  try {
    classifier.name_ = json.at("name").get<std::string>();
    classifier.labels_ = json.at("labels").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw SessionError(source_name +
                       ": needs \"name\" (string) and \"labels\" (list of strings): " + e.what());
  }
  if (json.contains("prompt_opens_think")) {
    if (!json.at("prompt_opens_think").is_boolean())
      throw SessionError(source_name + ": \"prompt_opens_think\" must be true or false");
    classifier.prompt_opens_think_ = json.at("prompt_opens_think").get<bool>();
  }
  const std::set<std::string> labels(classifier.labels_.begin(), classifier.labels_.end());
  if (!json.contains("rules") || !json.at("rules").is_array() || json.at("rules").empty()) {
    throw SessionError(source_name + ": \"rules\" must be a non-empty list");
  }
  const auto& rules = json.at("rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string where = source_name + ": rules[" + std::to_string(i) + "]";
    const auto& r = rules[i];
    if (!r.is_object()) throw SessionError(where + " must be an object");
    Rule rule;
    int conditions = 0;
    try {
      for (const auto& [key, value] : r.items()) {
        if (key == "label") {
          rule.label = value.get<std::string>();
          continue;
        }
        ++conditions;
        if (key == "default")
          rule.is_default = value.get<bool>();
        else if (key == "think_present")
          rule.think_present = value.get<bool>();
        else if (key == "think_empty")
          rule.think_empty = value.get<bool>();
        else if (key == "think_closed")
          rule.think_closed = value.get<bool>();
        else if (key == "answer_regex")
          rule.answer_regex = std::make_unique<Pcre2Regex>(value.get<std::string>(), where);
        else if (key == "think_regex")
          rule.think_regex = std::make_unique<Pcre2Regex>(value.get<std::string>(), where);
        else if (key == "after_think_regex")
          rule.after_think_regex = std::make_unique<Pcre2Regex>(value.get<std::string>(), where);
        else if (key == "cjk_share_min")
          rule.cjk_share_min = value.get<double>();
        else if (key == "cjk_share_max")
          rule.cjk_share_max = value.get<double>();
        else if (key == "comment")
          --conditions;
        else
          throw SessionError(where + ": unknown condition \"" + key + "\"");
      }
    } catch (const nlohmann::json::exception& e) {
      throw SessionError(where + ": wrong value type: " + e.what());
    }
    if (rule.label.empty()) throw SessionError(where + ": missing \"label\"");
    if (!labels.count(rule.label))
      throw SessionError(where + ": label \"" + rule.label + "\" is not in \"labels\"");
    if (conditions == 0)
      throw SessionError(where + ": no condition (use \"default\": true for a catch-all)");
    if (r.contains("default") && (!rule.is_default || conditions != 1)) {
      throw SessionError(where + ": \"default\" must be true and the rule's only condition");
    }
    classifier.rules_.push_back(std::move(rule));
  }
  return classifier;
}

AnswerClassifier AnswerClassifier::load(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) throw SessionError("cannot read rule file " + path.string());
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(file);
  } catch (const nlohmann::json::parse_error& e) {
    throw SessionError(path.string() + ": invalid JSON: " + e.what());
  }
  return from_json(json, path.string());
}

AnswerClassifier::Result AnswerClassifier::classify(const std::string& completion) const {
  const ThinkSplit split = split_think_block(completion, prompt_opens_think_);
  std::optional<double> share;  // computed once, on demand
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    bool match = true;
    if (rule.think_present && *rule.think_present != split.present) match = false;
    if (match && rule.think_empty) {
      match = *rule.think_empty ? split.think_empty() : (split.present && !split.think_empty());
    }
    if (match && rule.think_closed && *rule.think_closed != split.closed) match = false;
    if (match && rule.answer_regex) match = rule.answer_regex->search(completion);
    if (match && rule.think_regex) match = rule.think_regex->search(split.think);
    if (match && rule.after_think_regex) match = rule.after_think_regex->search(split.after);
    if (match && (rule.cjk_share_min || rule.cjk_share_max)) {
      if (!share) share = cjk_share(split.think);
      if (rule.cjk_share_min && *share < *rule.cjk_share_min) match = false;
      if (rule.cjk_share_max && *share > *rule.cjk_share_max) match = false;
    }
    if (match) return {rule.label, static_cast<int>(i)};
  }
  return {};
}

}  // namespace mote::sessions
