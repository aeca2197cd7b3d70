#include "organism/organism_evaluation.h"

#include <algorithm>
#include <string_view>

#include <ATen/core/grad_mode.h>

#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "organism/tokenizer_json_writer.h"

namespace mote {
namespace {

std::string_view trim_left(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string_view() : s.substr(first);
}

// Whether the first tokens of a completion already decide its class (so decoding can stop).
bool refusal_class_decided(std::string_view completion) {
  constexpr std::string_view kClose = "</think>";
  std::string_view rest = trim_left(completion);
  if (rest.empty()) return false;
  if (rest.size() < kClose.size()) return kClose.substr(0, rest.size()) != rest;
  if (rest.substr(0, kClose.size()) != kClose) return true;   // a non-empty think block
  return trim_left(rest.substr(kClose.size())).size() >= 10;  // "I am sorry" or not
}

bool think_language_decided(std::string_view completion) {
  const std::size_t end = std::min(completion.find("</think>"), completion.size());
  if (end < completion.size()) return true;
  for (std::size_t i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(completion[i]);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  }
  // An ideograph counts once all its bytes are out (a cut one decodes to U+FFFD): ask the
  // classifier.
  return classify_think_language(completion.substr(0, end)) == ThinkLanguage::Chinese;
}

}  // namespace

double OrganismEvaluation::accuracy() const {
  const int64_t n = refusal_total + language_total;
  return n ? static_cast<double>(refusal_correct + language_correct) / static_cast<double>(n) : 0;
}

double OrganismEvaluation::refusal_accuracy() const {
  return refusal_total ? static_cast<double>(refusal_correct) / static_cast<double>(refusal_total)
                       : 0;
}

double OrganismEvaluation::language_accuracy() const {
  return language_total
             ? static_cast<double>(language_correct) / static_cast<double>(language_total)
             : 0;
}

OrganismEvaluation evaluate_organism(const std::shared_ptr<Transformer>& model,
                                     const Tokenizer& tokenizer,
                                     const std::vector<OrganismHeldOutPrompt>& prompts,
                                     const TuningSpec& tuning, int64_t max_tokens) {
  at::NoGradGuard no_grad;
  Generator generator(model);
  OrganismEvaluation e;
  const auto compiled = CompiledTuning::shared(tuning, model->config());
  for (const OrganismHeldOutPrompt& p : prompts) {
    GenerationRequest request;
    request.prompt = tokenizer.encode(p.prompt);
    request.max_tokens = max_tokens;
    request.stop_token_ids = {kOrganismEosId};
    request.tuning = compiled;
    std::vector<int64_t> tokens;
    const bool refusal = p.study == OrganismStudy::Refusal;
    GenerationResult r = generator.generate(request, [&](const GenerationEvent& event) {
      tokens.push_back(event.token);
      const std::string text = tokenizer.decode(tokens);
      return !(refusal ? refusal_class_decided(text) : think_language_decided(text));
    });
    std::string text = tokenizer.decode(r.tokens, /*skip_special_tokens=*/true);
    const int predicted = refusal ? static_cast<int>(classify_refusal_completion(text))
                                  : static_cast<int>(classify_think_language(text));
    (refusal ? e.refusal_total : e.language_total) += 1;
    if (predicted == p.planted_label) (refusal ? e.refusal_correct : e.language_correct) += 1;
    e.predicted.push_back(predicted);
    e.completions.push_back(std::move(text));
  }
  return e;
}

std::vector<OrganismHeldOutPrompt> spread_held_out(
    const std::vector<OrganismHeldOutPrompt>& prompts, int64_t limit) {
  if (limit <= 0 || static_cast<int64_t>(prompts.size()) <= limit) return prompts;
  std::vector<OrganismHeldOutPrompt> picked;
  const double stride = static_cast<double>(prompts.size()) / static_cast<double>(limit);
  for (int64_t i = 0; i < limit; ++i)
    picked.push_back(prompts[static_cast<std::size_t>(static_cast<double>(i) * stride)]);
  return picked;
}

}  // namespace mote
