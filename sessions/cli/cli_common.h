#pragma once
// What every `mote` subcommand shares: its streams and cancel flag, looking up datasets, runs,
// results and classifiers by id or name, and the session file's default output folder.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "protocol/cli_args.h"
#include "sessions/answer_classifier.h"
#include "sessions/session_store.h"

namespace mote::cli {

struct CliContext {
  std::ostream& out;  // summaries and tables (stdout)
  std::ostream& err;  // progress, notes and errors (stderr)
  bool err_is_terminal = false;
  std::size_t terminal_columns = 80;
  // Raised by SIGINT/SIGTERM (app/mote_main.cpp); long commands stop cleanly when it is set.
  std::atomic<bool>* cancel = nullptr;
  bool cancelled() const { return cancel && cancel->load(); }
};

// Exit codes: 0 ok, 1 error (bad file, engine failure, ...), 2 usage error, 130 interrupted.
constexpr int kExitOk = 0, kExitError = 1, kExitUsage = 2, kExitInterrupted = 130;

// A command stopped by Ctrl+C after saving what it had; exit code 130.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& message) : std::runtime_error(message) {}
};

sessions::SessionStore open_session(const std::string& path);

// "3" = id 3, otherwise a name; a name shared by several entries is an error listing their ids.
sessions::DatasetInfo find_dataset(sessions::SessionStore& store, const std::string& id_or_name);
sessions::RunInfo find_run(sessions::SessionStore& store, const std::string& id_or_name);
// Runs with this exact name (any dataset).
std::vector<sessions::RunInfo> runs_named(sessions::SessionStore& store, const std::string& name);
sessions::StoredResult find_result(sessions::SessionStore& store, const std::string& id,
                                   const std::string& expected_kind = {});

// A classifier argument: an existing rule file path; else a classifier already stored in the
// session under that name (the rules its labels were made with); else a built-in
// (resources/classifiers/<name>.json).
struct ResolvedClassifier {
  sessions::AnswerClassifier classifier;
  std::string origin;  // "file X", "session", "built-in"
};
ResolvedClassifier resolve_classifier(sessions::SessionStore& store, const std::string& argument);
// The classifier name to read labels under: the rule set's name for a file or built-in, the
// argument itself for a stored or manual-only classifier.
std::string classifier_name(const std::string& argument);

// Labels the run with the classifier if any of its answers has no effective label under that
// name (never labelled, answered since, or matched no rule; a note on err); true if it did.
bool ensure_labelled(sessions::SessionStore& store, const sessions::RunInfo& run,
                     const std::string& classifier_argument, CliContext& ctx);

// <session without extension>-out/, the default folder for a command's files.
std::filesystem::path default_output_dir(const std::string& session_path);

// "wrote 3 files to out/: a.csv, b.json, c.npy" and a newline.
std::string wrote_line(const std::vector<std::filesystem::path>& files,
                       const std::filesystem::path& out);

// "suppress 10", "stimulate 3 + suppress 2", "none".
std::string describe_tuning(const mote::TuningSpec& tuning);
// "greedy" or "T=0.6 top_p=0.95 seed=1".
std::string describe_sampling(const sessions::RunConfig& config);
// "run 3 'refusal'".
std::string describe_run(const sessions::RunInfo& run);

// The class counts of a run under a classifier: label, count, share; labels in the classifier's
// order first (when known), then any others; unlabelled answers last as "(none)".
std::string class_count_table(sessions::SessionStore& store, std::int64_t run_id,
                              const std::string& classifier,
                              const std::vector<std::string>& label_order = {});

// Writes `text` to `path`, creating the parent folder; SessionError on failure.
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace mote::cli
