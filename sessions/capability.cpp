#include "sessions/capability.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "sessions/session_error.h"
#include "sessions/session_store.h"
#include "sessions/think_block.h"

namespace mote::sessions {
namespace {

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_digit_or_point(char c) {
  return is_ascii_digit(c) || c == '.';
}

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// P(X >= k), X ~ Binomial(n, 1/2), summed in log space.
double binomial_half_upper_tail(std::size_t k, std::size_t n) {
  if (k == 0) return 1.0;
  double sum = 0.0;
  for (std::size_t x = k; x <= n; ++x) {
    const double log_term = std::lgamma(n + 1.0) - std::lgamma(x + 1.0) -
                            std::lgamma(static_cast<double>(n - x) + 1.0) -
                            static_cast<double>(n) * std::log(2.0);
    sum += std::exp(log_term);
  }
  return std::min(1.0, sum);
}

}  // namespace

bool is_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_ascii_digit_or_point) &&
         is_ascii_digit(text.front()) && is_ascii_digit(text.back());
}

std::string last_number(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && !is_ascii_digit(text[end - 1])) --end;
  std::size_t begin = end;
  // Digits, and points between digits ("3.5"; a sentence's final "." was skipped above).
  while (begin > 0 && (is_ascii_digit(text[begin - 1]) ||
                       (text[begin - 1] == '.' && begin >= 2 && is_ascii_digit(text[begin - 2]))))
    --begin;
  return std::string(text.substr(begin, end - begin));
}

bool answer_states(std::string_view completion, std::string_view expected,
                   bool prompt_opens_think) {
  if (expected.empty()) return false;
  const ThinkSplit split = split_think_block(completion, prompt_opens_think);
  if (split.present && !split.closed) return false;  // cut off while thinking: no answer
  const std::string& answer = split.after;
  if (is_number(expected)) return last_number(answer) == expected;
  for (std::size_t at = answer.find(expected); at != std::string::npos;
       at = answer.find(expected, at + 1)) {
    const bool starts = at == 0 || !is_ascii_alnum(answer[at - 1]);
    const std::size_t end = at + expected.size();
    const bool ends = end == answer.size() || !is_ascii_alnum(answer[end]);
    if (starts && ends) return true;
  }
  return false;
}

nlohmann::json CapabilityScore::to_json() const {
  return {{"n", n}, {"correct", correct}, {"accuracy", accuracy()}, {"ci", ci().to_json()}};
}

nlohmann::json CapabilityComparison::to_json() const {
  nlohmann::json prompts = nlohmann::json::array();
  for (const PromptOutcome& o : outcomes) {
    prompts.push_back({{"prompt_id", o.prompt_id},
                       {"expected", o.expected},
                       {"original", o.original_right},
                       {"tuned", o.tuned_right}});
  }
  return {{"expected_key", expected_key},
          {"n_prompts", n_prompts},
          {"original", original.to_json()},
          {"tuned", tuned.to_json()},
          {"drop_points", drop_points()},
          {"lost", lost},
          {"gained", gained},
          {"lost_prompts", lost_prompts},
          {"gained_prompts", gained_prompts},
          {"p_worse", p_worse},
          {"test", "exact one-sided sign test (McNemar) of lost against gained prompts"},
          {"prompts", prompts}};
}

CapabilityComparison evaluate_capability(SessionStore& store, std::int64_t original_run,
                                         std::int64_t tuned_run, const std::string& expected_key,
                                         bool prompt_opens_think) {
  const RunInfo original = store.run(original_run), tuned = store.run(tuned_run);
  if (original.config.dataset_id != tuned.config.dataset_id) {
    throw SessionError("runs " + std::to_string(original_run) + " and " +
                       std::to_string(tuned_run) + " use different datasets");
  }
  std::map<std::int64_t, std::string> expected;
  for (const StoredPrompt& p : store.prompts(original.config.dataset_id)) {
    auto it = p.prompt.metadata.find(expected_key);
    if (it != p.prompt.metadata.end()) expected[p.id] = it->second;
  }
  if (expected.empty()) {
    throw SessionError("the dataset of run " + std::to_string(original_run) +
                       " has no prompt with metadata \"" + expected_key +
                       "\" (the expected answer)");
  }
  std::map<std::int64_t, std::string> tuned_answers;
  for (const StoredAnswer& a : store.answers(tuned_run)) tuned_answers[a.prompt_id] = a.answer.text;
  CapabilityComparison c;
  c.expected_key = expected_key;
  for (const StoredAnswer& a : store.answers(original_run)) {
    const auto want = expected.find(a.prompt_id);
    const auto other = tuned_answers.find(a.prompt_id);
    if (want == expected.end() || other == tuned_answers.end()) continue;
    const bool before = answer_states(a.answer.text, want->second, prompt_opens_think);
    const bool after = answer_states(other->second, want->second, prompt_opens_think);
    ++c.n_prompts;
    c.outcomes.push_back({a.prompt_id, want->second, before, after});
    c.original.correct += before;
    c.tuned.correct += after;
    if (before && !after) c.lost_prompts.push_back(a.prompt_id);
    if (!before && after) c.gained_prompts.push_back(a.prompt_id);
  }
  if (c.n_prompts == 0) {
    throw SessionError("runs " + std::to_string(original_run) + " and " +
                       std::to_string(tuned_run) +
                       " have no answered prompt with an expected answer in common");
  }
  c.original.n = c.tuned.n = c.n_prompts;
  c.lost = c.lost_prompts.size();
  c.gained = c.gained_prompts.size();
  c.p_worse = binomial_half_upper_tail(c.lost, c.lost + c.gained);
  nlohmann::json json = c.to_json();
  json["original_run"] = original_run;
  json["tuned_run"] = tuned_run;
  c.result_id = store.store_result("capability", expected_key, json);
  return c;
}

}  // namespace mote::sessions
