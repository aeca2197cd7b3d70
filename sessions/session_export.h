#pragma once
// Everything of a session that leaves it as files: a run's answers, labels and activation maps,
// and each kind of stored result, in formats Python and spreadsheets read (.npy, CSV, JSON).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sessions/evaluation.h"
#include "sessions/result_export.h"
#include "sessions/session_store.h"

namespace mote::sessions {

struct ResultExportOptions {
  // fTRI results also get the tuning JSON of their top_n experts (0 = none).
  std::size_t top_n = 10;
  TuningDirection direction = TuningDirection::kSuppress;
  RankingEnd end = RankingEnd::kTop;
};

// Writes a stored result into `directory` (created if missing); files are prefixed
// "<kind>-<id>_" so several results can share a folder:
//  ftri:           _experts.csv / _experts.json (the full ranked table: rank, layer, moe_layer,
//                  expert, resonance, t, p, q, stability), _resonance/_t/_p/_q/_stability.npy and
//                  _mean_<label>.npy ([n_moe_layers x n_experts] float32),
//                  _tuning_top<N>_<suppress|stimulate>.json (a TuningSpec)
//  evaluation:     _transitions.csv (counts, then row percentages), _flips.csv
//  random-control: _draws.csv (draw, run, flip_rate)
//  dose-curve:     _curve.csv (n_experts, run, flip_rate, reverse_rate, ...)
//  capability:     _prompts.csv (prompt_id, expected, original_right, tuned_right: 1/0)
//  tsne:           _tsne.csv (index, x, y, label, prompt_id, position, prompt metadata...)
//  every kind:     _result.json (the stored JSON) and each other array as .npy.
// Returns the paths written. Throws SessionError for an unknown result id or a write failure.
std::vector<std::filesystem::path> export_result(SessionStore& store, std::int64_t result_id,
                                                 const std::filesystem::path& directory,
                                                 const ResultExportOptions& options = {});

// Writes a run into `directory`, prefixed "run-<id>_":
//  _answers.csv   position, prompt_id, prompt, metadata columns, answer, prompt_tokens,
//                 completion_tokens, finish_reason, elapsed_ms, then per classifier with labels
//                 "label:<classifier>" (the effective label) and "manual:<classifier>" (1/0)
//  _prompt_maps.npy, _completion_maps.npy, _weighted_maps.npy   [n_answers x n_moe x n_experts]
//                 float32, rows in _answers.csv order (only the kinds the run stored)
//  _run.json      the run's configuration (dataset, model, geometry, tuning, sampling, seed, ...)
std::vector<std::filesystem::path> export_run(SessionStore& store, std::int64_t run_id,
                                              const std::filesystem::path& directory);

// The CSV of a stored t-SNE result (the _tsne.csv export): index, x, y, label, prompt_id,
// position, prompt, then one column per prompt metadata key.
std::string tsne_result_csv(SessionStore& store, std::int64_t result_id);

// A label or name made safe for a file name: [A-Za-z0-9._-] kept, anything else '_'.
std::string file_name_part(const std::string& text);

// The run's configuration as JSON (the _run.json export; also what `mote runs` shows).
nlohmann::json run_info_json(const RunInfo& run);

}  // namespace mote::sessions
