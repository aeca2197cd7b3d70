// mote run: answer a dataset's prompts on an engine, resumably; and the run machinery that
// eval, control and dose share.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/cli/progress_bar.h"
#include "sessions/cli/run_support.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"

namespace mote::cli {

using namespace mote::sessions;

namespace {

bool same_geometry(const ModelGeometry& a, const ModelGeometry& b) {
  return a.moe_layers == b.moe_layers && a.n_experts == b.n_experts && a.top_k == b.top_k;
}

}  // namespace

RunStatus execute_with_progress(SessionStore& store, const RunInfo& run, EngineSession& engine,
                                const ExecuteOptions& options, CliContext& ctx) {
  const ModelInfo& model = engine.model();
  if (model.id != run.config.model_id) {
    throw SessionError(describe_run(run) + " was made with model \"" + run.config.model_id +
                       "\" but " + engine.description() + " serves \"" + model.id + "\"");
  }
  if (!same_geometry(model.geometry, run.config.geometry)) {
    throw SessionError(describe_run(run) + ": the engine's model geometry differs from the run's");
  }
  std::atomic<bool> local_cancel{false};
  std::atomic<bool>* cancel = ctx.cancel ? ctx.cancel : &local_cancel;
  RunExecutorOptions exec;
  exec.completion_maps = options.completion_maps;
  exec.weighted_maps = options.weighted_maps;
  exec.classifier = options.classifier;
  if (options.classifier) exec.classifier_name = options.classifier->name();
  exec.concurrency = engine.concurrency();
  exec.more_engines = engine.more_clients();

  const std::size_t total = store.prompts(run.config.dataset_id).size();
  const std::size_t before = store.answer_count(run.id);
  std::string label = options.progress_label.empty() ? run.config.name : options.progress_label;
  ProgressBar bar(ctx.err, ctx.err_is_terminal, label, ctx.terminal_columns);
  bar.update({before, total, 0.0, -1.0, ""});
  exec.limit = options.limit;
  const auto on_progress = [&](const RunProgress& p) {
    bar.update({p.done, p.total, p.prompts_per_second, p.eta_seconds, p.last_label});
  };
  const auto interrupted = [&] {
    return Interrupted("interrupted: " + std::to_string(store.answer_count(run.id)) + "/" +
                       std::to_string(total) + " prompts of " + describe_run(run) +
                       " answered; rerun the same command to resume");
  };
  if (options.limit && *options.limit == 0) {  // nothing asked for: the run stays as it is
    bar.finish();
    return store.run(run.id).status;
  }
  RunStatus status;
  try {
    status = execute_run(store, run.id, engine.client(), exec, on_progress, cancel);
  } catch (const EngineError&) {
    bar.finish();
    if (cancel->load()) throw interrupted();
    throw;
  }
  bar.finish();
  if (status == RunStatus::kCancelled) throw interrupted();
  return status;
}

RunInfo complete_run(SessionStore& store, EngineSession& engine, const RunRequest& request,
                     const std::string& classifier_argument, CliContext& ctx,
                     const std::string& progress_label, std::size_t answer_upto) {
  auto existing = find_matching_run(store, request);
  RunInfo run = existing ? *existing : create_run(store, request, engine.model());
  const std::size_t total = store.prompts(run.config.dataset_id).size();
  const std::size_t target = answer_upto > 0 ? std::min(answer_upto, total) : total;
  const std::size_t answered = store.answer_count(run.id);
  if (answered < target) {
    ctx.err << (existing ? "resuming " : "running ") << describe_run(run) << " ("
            << describe_tuning(run.config.tuning) << "): " << answered << "/" << total
            << " answered";
    if (target < total) ctx.err << ", answering the original's first " << target;
    ctx.err << "\n";
    ExecuteOptions options;
    options.progress_label = progress_label;
    if (target < total) options.limit = target - answered;
    execute_with_progress(store, run, engine, options, ctx);
  } else if (run.status != RunStatus::kFinished) {
    // Every prompt asked for (the whole dataset or the original's subset) is answered.
    store.set_run_status(run.id, RunStatus::kFinished);
  }
  if (!classifier_argument.empty())
    ensure_labelled(store, store.run(run.id), classifier_argument, ctx);
  return store.run(run.id);
}

int cmd_run(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote run",
      "Answer every prompt of a dataset on an engine under a tuning, recording per prompt the "
      "answer, the activation maps (counts over prompt tokens; over generated tokens; router-"
      "weight sums over prompt tokens) and, with --classifier, its label. One transaction per "
      "prompt: rerunning the same command resumes (finished prompts are skipped); Ctrl+C stops "
      "cleanly.",
      "A run is identified by its name within the dataset (default: the dataset's name, plus the "
      "tuning file's name if tuned). Resuming with a different setting is an error; options left "
      "out on resume keep the stored values. Each prompt is sampled with its own seed derived "
      "from --seed and its position, so a resumed run gives the same answers as an uninterrupted "
      "one. --max-tokens 0 records prompt maps only (batched prefill, no answers).\n"
      "Engine: --engine URL [--api-key-file F], or --model DIR for a local engine started for "
      "this command (default: the demo model in resources/models/).");
  parser.positional("SESSION", "session file")
      .option("--dataset", "ID|NAME", "the dataset (not needed to resume a run by --name)")
      .option("--name", "RUN", "run name [default: dataset name (+ tuning file name)]")
      .option("--tuning", "F.json",
              "expert tuning {\"suppress\": [[layer, expert], ...], "
              "\"stimulate\": [...]}")
      .option("--max-tokens", "N", "tokens to generate per prompt [default: 256]")
      .option("--temperature", "T", "sampling temperature, 0 = greedy [default: 0]")
      .option("--top-p", "P", "nucleus sampling [default: 1]")
      .option("--top-k", "K", "top-k sampling, 0 = off [default: 0]")
      .option("--seed", "S", "run seed; prompt i uses a seed derived from (S, i) [default: 1]")
      .flag("--no-completion-maps", "do not store maps over generated tokens")
      .flag("--no-weighted-maps", "do not store router-weight maps (no weight capture)")
      .option("--classifier", "CLASSIFIER", "label answers as they finish")
      .option("--limit", "N", "answer at most N more prompts now (the run stays resumable)");
  add_engine_options(parser);
  parser
      .example(
          "mote run refusal.mote --dataset r1-refusal --name original --max-tokens 64 "
          "--classifier r1-refusal")
      .example(
          "mote run refusal.mote --dataset r1-refusal --name suppress10 --tuning top10.json "
          "--engine http://gpu-box:8000 --api-key-file ~/.mote-key");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);

  RunRequest request;
  if (auto t = a.get("--tuning")) request.tuning = TuningSpec::from_file(*t);
  if (auto d = a.get("--dataset")) {
    request.dataset_id = find_dataset(store, *d).id;
  } else {
    if (!a.has("--name"))
      throw UsageError("mote run: give --dataset (or --name of a run to resume)");
    const RunInfo existing = find_run(store, *a.get("--name"));
    request.dataset_id = existing.config.dataset_id;
    if (!a.has("--tuning")) request.tuning = existing.config.tuning;
  }
  const DatasetInfo dataset = find_dataset(store, std::to_string(request.dataset_id));
  request.kind = request.tuning.empty() ? RunKind::kOriginal : RunKind::kTuned;
  if (auto n = a.get("--name")) {
    request.name = *n;
  } else {
    request.name = dataset.name;
    if (auto t = a.get("--tuning")) request.name += "-" + std::filesystem::path(*t).stem().string();
  }
  if (auto v = a.get_int("--max-tokens")) {
    if (*v < 0) throw UsageError("mote run --max-tokens: must not be negative");
    request.max_tokens = static_cast<int>(*v);
  }
  request.temperature = a.get_double("--temperature");
  if (request.temperature && *request.temperature < 0)
    throw UsageError("mote run --temperature: must not be negative");
  request.top_p = a.get_double("--top-p");
  if (request.top_p && (*request.top_p <= 0 || *request.top_p > 1))
    throw UsageError("mote run --top-p: must be in (0, 1]");
  if (auto k = a.get_int("--top-k")) {
    if (*k < 0) throw UsageError("mote run --top-k: must not be negative");
    request.top_k = static_cast<int>(*k);
  }
  request.seed = a.get_int("--seed");
  std::optional<ResolvedClassifier> classifier;
  if (auto c = a.get("--classifier")) classifier = resolve_classifier(store, *c);
  ExecuteOptions options;
  options.completion_maps = !a.flag("--no-completion-maps");
  options.weighted_maps = !a.flag("--no-weighted-maps");
  options.classifier = classifier ? &classifier->classifier : nullptr;
  if (a.has("--limit")) options.limit = a.get_count_or("--limit", 0);

  EngineSession engine(a, ctx);
  auto existing = find_matching_run(store, request);
  const RunInfo run = existing ? *existing : create_run(store, request, engine.model());
  const std::size_t total = dataset.n_prompts;
  const std::size_t before = store.answer_count(run.id);
  ctx.out << (existing ? (before < total ? "resuming " : "") : "created ") << describe_run(run)
          << ": dataset " << dataset.id << " '" << dataset.name << "' (" << total << " prompts, "
          << to_string(dataset.mode) << "), model " << run.config.model_id << ", tuning "
          << describe_tuning(run.config.tuning) << ", " << describe_sampling(run.config)
          << ", max_tokens " << run.config.max_tokens << ", seed " << run.config.seed << "\n"
          << std::flush;
  if (before >= total) {
    if (run.status != RunStatus::kFinished) store.set_run_status(run.id, RunStatus::kFinished);
    ctx.out << "nothing to do: all " << total << " prompts are answered\n";
  } else {
    engine.model();  // connect (start the local engine) before saying which engine it is
    ctx.out << "engine: " << engine.description() << "; " << before << "/" << total
            << " answered before\n"
            << std::flush;
    const auto start = std::chrono::steady_clock::now();
    const RunStatus status = execute_with_progress(store, run, engine, options, ctx);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t after = store.answer_count(run.id);
    const std::size_t now = after - before;
    ctx.out << to_string(status) << ": " << after << "/" << total << " answered, " << now
            << " in this call in " << duration(seconds) << " ("
            << fixed(seconds > 0 ? static_cast<double>(now) / seconds : 0.0, 2) << " prompts/s)\n";
    if (after < total) {
      ctx.out << "the run answers the first " << after << " prompts (--limit); rerun to answer "
              << "more of the remaining " << total - after << "\n";
    }
  }
  if (classifier) {
    classify_run(store, run.id, classifier->classifier);
    ctx.out << class_count_table(store, run.id, classifier->classifier.name(),
                                 classifier->classifier.labels());
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  const auto wal = std::filesystem::file_size(path + "-wal", ec);
  ctx.out << "session " << path << ": " << byte_size(static_cast<double>(size + (ec ? 0 : wal)))
          << " on disk (with its write-ahead log)\n";
  return kExitOk;
}

}  // namespace mote::cli
