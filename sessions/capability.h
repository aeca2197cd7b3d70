#pragma once
// The capability check of a tuning (the paper's MT-Bench check, for datasets with known answers):
// accuracy of the original and the tuned run on prompts whose metadata holds the expected answer,
// the change in points, and which prompts a tuning broke or mended.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/proportion_statistics.h"

namespace mote::sessions {

class SessionStore;

// Whether a completion states `expected`. Its answer is the text after the think block; a
// completion cut off while thinking (with `prompt_opens_think`, one without "</think>") has none.
// A number ("12", "3.5") must be the answer's last number, so "1 plus 2 equals 4" does not state
// "2"; other text must occur with no ASCII letter or digit right before or after it. An empty
// `expected` is never stated.
std::string last_number(std::string_view text);  // "" if there is none
bool answer_states(std::string_view completion, std::string_view expected,
                   bool prompt_opens_think = true);

struct CapabilityScore {
  std::size_t n = 0, correct = 0;
  double accuracy() const {
    return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  }
  ProportionInterval ci() const { return wilson_interval(correct, n); }
  nlohmann::json to_json() const;
};

// Original vs tuned over the prompts answered in both that have metadata[expected_key].
//   lost   = right originally, wrong after tuning; gained = the reverse.
//   drop_points = 100 * (original accuracy - tuned accuracy).
//   p_worse = exact one-sided sign (McNemar) test that the tuning loses more than it gains:
//             P(X >= lost), X ~ Binomial(lost + gained, 1/2); 1 when nothing changed.
struct CapabilityComparison {
  std::string expected_key;
  std::size_t n_prompts = 0;
  CapabilityScore original, tuned;
  std::size_t lost = 0, gained = 0;
  std::vector<std::int64_t> lost_prompts, gained_prompts;  // prompt ids
  struct PromptOutcome {
    std::int64_t prompt_id = 0;
    std::string expected;
    bool original_right = false, tuned_right = false;
  };
  std::vector<PromptOutcome> outcomes;  // dataset order
  double p_worse = 1.0;
  double drop_points() const { return 100.0 * (original.accuracy() - tuned.accuracy()); }
  std::int64_t result_id = 0;
  nlohmann::json to_json() const;
};

// to_json() also lists the outcomes as "prompts": [{prompt_id, expected, original, tuned}].
// SessionError if the runs use different datasets, share no answered prompt, or none of their
// prompts has `expected_key` in its metadata. Stores a "capability" result.
CapabilityComparison evaluate_capability(SessionStore& store, std::int64_t original_run,
                                         std::int64_t tuned_run, const std::string& expected_key,
                                         bool prompt_opens_think = true);

}  // namespace mote::sessions
