#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "protocol/activation_map.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "sessions/dataset.h"
#include "sessions/map_matrix.h"

namespace mote::sessions {

class SqliteConnection;

enum class RunKind { kOriginal, kTuned, kRandomControl };
// Which stored activation map of an answer to analyse.
enum class MapKind { kPromptCounts, kCompletionCounts, kPromptWeighted };
std::string to_string(MapKind kind);
enum class RunStatus { kPending, kRunning, kFinished, kFailed, kCancelled };
std::string to_string(RunKind kind);
std::string to_string(RunStatus status);
RunKind run_kind_from_string(const std::string& text);
RunStatus run_status_from_string(const std::string& text);

// What a run is: everything needed to reproduce it.
struct RunConfig {
  std::int64_t dataset_id = 0;
  std::string name;
  RunKind kind = RunKind::kOriginal;
  std::optional<int> draw_index;  // random-control draws only
  std::string model_id;
  ModelGeometry geometry;
  TuningSpec tuning;
  nlohmann::json sampling = nlohmann::json::object();  // temperature, top_p, ... as sent
  std::int64_t seed = 0;
  int max_tokens = 0;  // 0: no generation, prompt maps only (a scan)
  std::string engine_version;
};

struct RunInfo {
  std::int64_t id = 0;
  RunConfig config;
  RunStatus status = RunStatus::kPending;
  std::string created_at;  // ISO 8601 UTC
};

struct StoredPrompt {
  std::int64_t id = 0;
  std::size_t position = 0;  // 0-based order within the dataset
  Prompt prompt;
};

struct DatasetInfo {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  PromptMode mode = PromptMode::kChat;
  std::optional<std::string> system_prompt;
  std::size_t n_prompts = 0;
};

// One finished prompt of a run.
struct AnswerRecord {
  std::string text;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string finish_reason;                    // "stop", "length", ...
  std::optional<ActivationMap> prompt_map;      // counts over prompt tokens
  std::optional<ActivationMap> completion_map;  // counts over completion tokens
  std::optional<ActivationMap> weighted_map;    // router-weight sums over prompt tokens
  double elapsed_ms = 0.0;
};

struct StoredAnswer {
  std::int64_t prompt_id = 0;
  std::size_t position = 0;
  AnswerRecord answer;
};

// A label assigned by a rule set (classifier) to one answer.
struct RuleLabel {
  std::int64_t prompt_id = 0;
  std::string label;
  int rule_index = -1;
};

// The label in effect for one answer: the manual one if set, else the rule set's.
struct EffectiveLabel {
  std::int64_t prompt_id = 0;
  std::string label;
  bool manual = false;
  std::string rule_label;  // what the rules said (may differ from a manual label; empty if none)
};

struct StoredResult {
  std::int64_t id = 0;
  std::string kind;  // "ftri", "evaluation", "tsne", ...
  std::string name;
  nlohmann::json json;
  std::string created_at;
};

// One experiment session in one SQLite file (*.mote): WAL journal, synchronous=FULL, foreign keys
// on, PRAGMA user_version = schema version (see session_schema.h). Every write is one
// transaction, so a killed process loses at most the prompt in flight, and a rerun resumes from
// pending_prompts(). Not thread-safe: use one SessionStore per thread (several processes may open
// the same file; SQLite serializes writers, busy timeout 10 s).
class SessionStore {
 public:
  // Creates a new session file; throws if the file exists.
  static SessionStore create(const std::filesystem::path& path);
  // Opens an existing session, migrating an older schema. Throws SessionError for a missing
  // file, a non-SQLite file, another application's database, or a newer schema.
  static SessionStore open(const std::filesystem::path& path);

  SessionStore(SessionStore&&) noexcept;
  SessionStore& operator=(SessionStore&&) noexcept;
  ~SessionStore();

  const std::filesystem::path& path() const { return path_; }
  int schema_version();

  // Datasets: stored with all prompts in one transaction; returns the dataset id.
  std::int64_t add_dataset(const Dataset& dataset);
  std::vector<DatasetInfo> list_datasets();
  Dataset load_dataset(std::int64_t dataset_id);
  std::vector<StoredPrompt> prompts(std::int64_t dataset_id);

  // Runs. The tuning is validated against the geometry.
  std::int64_t create_run(const RunConfig& config);
  RunInfo run(std::int64_t run_id);
  std::vector<RunInfo> list_runs();
  void set_run_status(std::int64_t run_id, RunStatus status);

  // Stores one finished prompt and (optionally) its rule labels in ONE transaction. Throws
  // SessionError if the prompt is not in the run's dataset, already answered, or a map's shape
  // differs from the run's geometry.
  void record_answer(std::int64_t run_id, std::int64_t prompt_id, const AnswerRecord& answer,
                     const std::string& classifier = {}, const std::vector<RuleLabel>& labels = {});
  // Prompts of the run's dataset without an answer, in dataset order.
  std::vector<StoredPrompt> pending_prompts(std::int64_t run_id);
  std::size_t answer_count(std::int64_t run_id);
  // Answers in dataset order; maps are decoded only if `with_maps`.
  std::vector<StoredAnswer> answers(std::int64_t run_id, bool with_maps = false);
  // One kind of map of all answered prompts stacked in dataset order ([n_answers x n_cells]);
  // `prompt_ids` receives the row order. An answer without that map is an error.
  MapMatrix maps(std::int64_t run_id, MapKind kind, std::vector<std::int64_t>& prompt_ids);
  MapMatrix prompt_maps(std::int64_t run_id, std::vector<std::int64_t>& prompt_ids) {
    return maps(run_id, MapKind::kPromptCounts, prompt_ids);
  }

  // Labels. A rule set's JSON is stored under its name (so results can be reproduced).
  void store_classifier(const std::string& name, const nlohmann::json& rules);
  std::optional<nlohmann::json> load_classifier(const std::string& name);
  // Replaces the rule labels of `classifier` for the given answers (one transaction).
  void set_rule_labels(std::int64_t run_id, const std::string& classifier,
                       const std::vector<RuleLabel>& labels);
  // Manual label of one answer; wins over the rules. clear_manual_label removes it.
  void set_manual_label(std::int64_t run_id, std::int64_t prompt_id, const std::string& classifier,
                        const std::string& label, const std::string& note = {});
  void clear_manual_label(std::int64_t run_id, std::int64_t prompt_id,
                          const std::string& classifier);
  // Effective labels of every answer of the run, in dataset order (label empty if neither).
  std::vector<EffectiveLabel> labels(std::int64_t run_id, const std::string& classifier);
  // Names of the classifiers with rule or manual labels in this run, sorted.
  std::vector<std::string> label_classifiers(std::int64_t run_id);

  // Results (fTRI, evaluations, t-SNE ...): JSON plus named float arrays stored as .npy BLOBs.
  std::int64_t store_result(
      const std::string& kind, const std::string& name, const nlohmann::json& json,
      const std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<float>>>& arrays =
          {});
  StoredResult load_result(std::int64_t result_id);
  std::vector<StoredResult> list_results(const std::string& kind = {});
  // Returns the array's values; `shape` receives its shape. Throws if missing.
  std::vector<float> load_result_array(std::int64_t result_id, const std::string& name,
                                       std::vector<std::size_t>& shape);
  // Names of a result's arrays, sorted.
  std::vector<std::string> result_array_names(std::int64_t result_id);

 private:
  SessionStore(std::filesystem::path path, std::unique_ptr<SqliteConnection> connection);
  const ModelGeometry& run_geometry(std::int64_t run_id);

  std::filesystem::path path_;
  std::unique_ptr<SqliteConnection> db_;
  std::map<std::int64_t, ModelGeometry> geometry_cache_;
};

}  // namespace mote::sessions
