#pragma once
// The held-out evaluation of a trained organism: greedy answers to the held-out prompts,
// classified from their first tokens with the planted surface forms, against the planted rule.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/tuning.h"
#include "organism/organism_corpus.h"

namespace mote {

class Tokenizer;
class Transformer;

// Greedy answers to held-out prompts, classified with the planted surface forms.
struct OrganismEvaluation {
  std::vector<int> predicted;  // per prompt: RefusalClass or ThinkLanguage value
  std::vector<std::string> completions;
  int64_t refusal_total = 0, refusal_correct = 0;
  int64_t language_total = 0, language_correct = 0;

  double accuracy() const;  // both studies together
  double refusal_accuracy() const;
  double language_accuracy() const;
};

// Greedy decoding (batch 1, the server's path) of every prompt under `tuning`, stopped at EOS, at
// max_tokens, or as soon as the answer's class is decided; compared with planted_label.
OrganismEvaluation evaluate_organism(const std::shared_ptr<Transformer>& model,
                                     const Tokenizer& tokenizer,
                                     const std::vector<OrganismHeldOutPrompt>& prompts,
                                     const TuningSpec& tuning = {}, int64_t max_tokens = 16);

// At most `limit` prompts (0: all), evenly spread so that both studies stay represented.
std::vector<OrganismHeldOutPrompt> spread_held_out(
    const std::vector<OrganismHeldOutPrompt>& prompts, int64_t limit);

}  // namespace mote
