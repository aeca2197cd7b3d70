#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sessions/answer_classifier.h"
#include "sessions/evaluation.h"
#include "sessions/expert_statistics.h"
#include "sessions/result_export.h"
#include "sessions/session_store.h"
#include "sessions/tsne.h"

namespace mote::sessions {

// The experiment steps on top of a session: read what the store holds, compute, store the result
// (JSON + arrays) and return it. These are what the CLI and GUI call.

// Labels every answer of a run with a rule set, stores the rules under the classifier's name and
// the labels under it (manual labels are kept and still win). Returns the number of answers
// no rule matched (they get an empty label and are excluded from fTRI).
std::size_t classify_run(SessionStore& store, std::int64_t run_id,
                         const AnswerClassifier& classifier);

// Effective labels of a run (manual over rules) in dataset order, keyed by prompt id.
std::vector<std::string> run_labels(SessionStore& store, std::int64_t run_id,
                                    const std::string& classifier,
                                    const std::vector<std::int64_t>& prompt_ids);

struct FtriAnalysis {
  std::int64_t result_id = 0;
  ExpertStatistics statistics;
  std::vector<ExpertTableRow> table;  // ranked, best first
};

// fTRI of class `target` in a run's prompt maps against the other labelled prompts, with the
// per-expert statistics (on the paper's prompt-count maps by default). Stores kind "ftri": JSON
// {run_id, map, classifier, target, n_target, n_rest,
// class_counts, options, top (first 50 table rows)} and arrays resonance, t, p, q, stability and
// mean:<label> for every class, each [n_moe_layers x n_experts].
FtriAnalysis analyze_ftri(SessionStore& store, std::int64_t run_id, const std::string& classifier,
                          const std::string& target, const ExpertStatisticsOptions& options,
                          MapKind map_kind = MapKind::kPromptCounts);

struct TuningEvaluation {
  std::int64_t result_id = 0;
  std::size_t n_prompts = 0;  // prompts answered in both runs
  TransitionMatrix transitions;
  FlipRates flips;
};

// Original vs tuned run over the prompts answered in both (same dataset required). Stores kind
// "evaluation": JSON {original_run, tuned_run, classifier, label, n_prompts, transitions, flips}.
TuningEvaluation evaluate_tuning(SessionStore& store, std::int64_t original_run,
                                 std::int64_t tuned_run, const std::string& classifier,
                                 const std::string& label,
                                 const std::vector<std::string>& label_order = {});

// Flip rate of `label` for the tuned run and each random-control run against the original, and
// the summary. Stores kind "random-control" (its id in *result_id if given).
RandomControlSummary evaluate_random_control(SessionStore& store, std::int64_t original_run,
                                             std::int64_t tuned_run,
                                             const std::vector<std::int64_t>& control_runs,
                                             const std::string& classifier,
                                             const std::string& label,
                                             std::int64_t* result_id = nullptr);

// Effective labels of the prompts answered in both runs (same dataset required), aligned by
// prompt, in dataset order. Throws SessionError if the datasets differ or nothing is shared.
void paired_run_labels(SessionStore& store, std::int64_t original_run, std::int64_t other_run,
                       const std::string& classifier, std::vector<std::string>& original,
                       std::vector<std::string>& other);

// A stored "ftri" result read back: the statistics arrays, the full ranked table (rebuilt with
// the geometry of the result's run) and what it was computed on.
struct StoredFtri {
  FtriAnalysis analysis;  // result_id, statistics (target, n_target, n_rest, arrays), table
  std::int64_t run_id = 0;
  std::string classifier;
  std::string map;  // "prompt", "completion" or "weighted"
  ModelGeometry geometry;
  nlohmann::json json;  // the stored JSON
};
// Throws SessionError if the result does not exist or is not an fTRI result.
StoredFtri load_ftri(SessionStore& store, std::int64_t result_id);

struct DoseEvaluation {
  std::int64_t result_id = 0;
  DoseCurve curve;               // flip rate of `label` per dose
  std::vector<FlipRates> flips;  // per dose, with the reverse rates
};
// Dose curve: tuned_runs[i] tunes the top doses[i] experts; each is compared with the original
// over the prompts answered in both. Stores kind "dose-curve": JSON {original_run, tuned_runs,
// classifier, label, curve (DoseCurve::to_json), flips} merged with `extra` (e.g. the ranking's
// source and the tuning direction).
DoseEvaluation evaluate_dose_curve(SessionStore& store, std::int64_t original_run,
                                   const std::vector<std::size_t>& doses,
                                   const std::vector<std::int64_t>& tuned_runs,
                                   const std::string& classifier, const std::string& label,
                                   const nlohmann::json& extra = nlohmann::json::object());

struct RunTsne {
  std::int64_t result_id = 0;
  std::vector<std::int64_t> prompt_ids;
  std::vector<std::string> labels;
  std::vector<float> coords;  // [n x 2]
};

// t-SNE of a run's prompt maps; stores kind "tsne" with array "coords" [n x 2] and JSON
// {run_id, classifier, prompt_ids, labels, options}.
RunTsne analyze_tsne(SessionStore& store, std::int64_t run_id, const std::string& classifier,
                     const TsneOptions& options, MapKind map_kind = MapKind::kPromptCounts);

}  // namespace mote::sessions
