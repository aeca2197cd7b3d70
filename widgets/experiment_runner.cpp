#include "widgets/experiment_runner.h"

#include <QThread>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "sessions/evaluation.h"
#include "sessions/experiment_plan.h"
#include "sessions/resources.h"
#include "sessions/run_executor.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "widgets/models/session_controller.h"
#include "widgets/run_controller.h"

namespace mote::widgets {

namespace {

// FNV-1a, printed as 8 hex digits: a short stable tag for a tuning in a run name.
std::string shortHash(const std::string& text) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08x", h);
  return buffer;
}

// The job a RunController executes for one run: execute_run until the run has `upto` answers
// (0 = all), then label every answer. The controller's cancel flag is relayed to the executor's
// own flag; the limit is the executor's (RunExecutorOptions::limit).
widgets::RunController::Job runJob(sessions::EngineClient client,
                                   std::shared_ptr<const sessions::AnswerClassifier> classifier,
                                   std::size_t upto) {
  return
      [client, classifier, upto](sessions::SessionStore& store, std::int64_t run_id,
                                 const std::function<void(const sessions::RunProgress&)>& progress,
                                 const std::atomic<bool>& cancel) {
        sessions::RunStatus status = store.run(run_id).status;
        const std::size_t answered = store.answer_count(run_id);
        if (upto == 0 || answered < upto) {
          std::atomic<bool> stop{false};
          std::atomic<bool> done{false};
          std::thread relay([&] {
            while (!done) {
              if (cancel) stop = true;
              std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
          });
          sessions::RunExecutorOptions options;
          options.classifier = classifier.get();
          const auto on_progress = [&](const sessions::RunProgress& p) {
            sessions::RunProgress shown = p;
            if (upto > 0 && upto < p.total) {
              // The bar and the ETA count towards the limit, not the whole dataset.
              shown.total = upto;
              shown.eta_seconds =
                  p.prompts_per_second > 0
                      ? static_cast<double>(upto - std::min(upto, p.done)) / p.prompts_per_second
                      : 0.0;
            }
            progress(shown);
          };
          // The first prompts by position, whatever order the concurrent answers finish in; the
          // executor stores the run kFinished once they are answered, kCancelled if cancelled.
          if (upto > 0) options.limit = upto - answered;
          try {
            status = sessions::execute_run(store, run_id, client, options, on_progress, &stop);
          } catch (...) {
            done = true;
            relay.join();
            throw;
          }
          done = true;
          relay.join();
        } else if (status != sessions::RunStatus::kFinished) {
          // Every prompt asked for is answered already (as `mote` does, cmd_run.cpp).
          store.set_run_status(run_id, sessions::RunStatus::kFinished);
          status = sessions::RunStatus::kFinished;
        }
        if (classifier && store.answer_count(run_id) > 0)
          sessions::classify_run(store, run_id, *classifier);
        return status;
      };
}

}  // namespace

ExperimentRunner::ExperimentRunner(Engine engine, SessionController* session, QObject* parent)
    : QObject(parent),
      engine_(std::move(engine)),
      session_(session),
      controller_(new widgets::RunController(this)) {
  // Twice a second is enough for a rate and an ETA; each update repaints the progress bar
  // synchronously, which is slow once the window holds the 3D view's GL widget.
  controller_->setProgressInterval(500);
  connect(controller_, &widgets::RunController::finished, this,
          [this](qint64 run_id, sessions::RunStatus status, const QString& error) {
            onFinished(run_id, static_cast<int>(status), error);
          });
}

ExperimentRunner::~ExperimentRunner() = default;

bool ExperimentRunner::busy() const {
  return controller_->isRunning() || next_ < queue_.size();
}

void ExperimentRunner::cancel() {
  queue_.resize(std::min(queue_.size(), next_));  // nothing after the run in flight
  controller_->cancel();
}

std::string ExperimentRunner::tunedRunName(const std::string& original,
                                           const mote::TuningSpec& tuning) {
  std::string name = original + "-";
  if (!tuning.suppress.empty()) name += "suppress" + std::to_string(tuning.suppress.size());
  if (!tuning.stimulate.empty())
    name += (tuning.suppress.empty() ? "" : "-") + std::string("stimulate") +
            std::to_string(tuning.stimulate.size());
  return name + "-" + shortHash(tuning.to_json().dump());
}

std::vector<std::int64_t> ExperimentRunner::controlRunsOf(sessions::SessionStore& store,
                                                          const sessions::RunInfo& tuned) {
  std::vector<std::pair<int, std::int64_t>> found;
  const std::string prefix = tuned.config.name + "-random";
  for (const auto& r : store.list_runs()) {
    if (r.config.kind != sessions::RunKind::kRandomControl ||
        r.config.dataset_id != tuned.config.dataset_id || r.config.name.rfind(prefix, 0) != 0 ||
        store.answer_count(r.id) == 0)
      continue;
    found.emplace_back(r.config.draw_index.value_or(0), r.id);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::int64_t> ids;
  for (const auto& [draw, id] : found) ids.push_back(id);
  return ids;
}

bool ExperimentRunner::prepare() {
  QString error;
  if (busy()) {
    error = tr("Runs are already executing: wait or cancel them first.");
  } else if (!session_->store()) {
    error = tr("Open or create a session first (File → New Session…).");
  } else {
    endpoint_ = engine_.endpoint();
    model_ = engine_.model();
    if (!endpoint_ || !model_)
      error = tr("Not connected to an engine (File → Connect to engine…).");
  }
  if (error.isEmpty()) return true;
  Q_EMIT failed(error);
  return false;
}

int ExperimentRunner::derivedLimit(sessions::SessionStore& store, const sessions::RunInfo& original,
                                   const Options& options) {
  // A partly answered original (a subset) is compared over its prompts: answer as many.
  return options.limit > 0 ? options.limit
                           : static_cast<int>(sessions::derived_answer_limit(store, original));
}

std::shared_ptr<const sessions::AnswerClassifier> ExperimentRunner::resolveClassifier(
    const QString& name, QString* error) {
  if (name.isEmpty()) return nullptr;
  try {
    // The rules the session's labels were made with win over a built-in of the same name.
    if (auto stored = session_->store()->load_classifier(name.toStdString()))
      return std::make_shared<sessions::AnswerClassifier>(
          sessions::AnswerClassifier::from_json(*stored, "session"));
    return std::make_shared<sessions::AnswerClassifier>(
        sessions::AnswerClassifier::load(sessions::builtin_classifier_path(name.toStdString())));
  } catch (const std::exception& e) {
    *error = tr("Classifier %1: %2").arg(name, QString::fromStdString(e.what()));
    return nullptr;
  }
}

bool ExperimentRunner::startOriginal(std::int64_t dataset_id, const QString& name,
                                     const sessions::SamplingSettings& sampling,
                                     const Options& options) {
  if (!prepare()) return false;
  auto* store = session_->store();
  try {
    sessions::DatasetInfo dataset;
    for (const auto& d : store->list_datasets())
      if (d.id == dataset_id) dataset = d;
    if (dataset.id == 0) throw sessions::SessionError("no dataset " + std::to_string(dataset_id));
    sessions::RunRequest request;
    request.dataset_id = dataset_id;
    request.name = name.trimmed().isEmpty() ? dataset.name : name.trimmed().toStdString();
    request.kind = sessions::RunKind::kOriginal;
    request.max_tokens = sampling.max_tokens;
    request.temperature = sampling.temperature;
    request.top_p = sampling.top_p;
    request.top_k = sampling.top_k;
    // The chat's "0 = random seed" makes no sense for a reproducible run: seed 1 like the CLI.
    request.seed = sampling.seed && *sampling.seed != 0 ? *sampling.seed : 1;
    const auto run = sessions::find_or_create_run(*store, request, *model_);
    Q_EMIT runsCreated();
    return enqueue({{run.id, tr("original run '%1'").arg(QString::fromStdString(request.name)),
                     options.limit}},
                   options);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool ExperimentRunner::startTuned(std::int64_t original_run, const mote::TuningSpec& tuning,
                                  const QString& name, const Options& options) {
  if (!prepare()) return false;
  if (tuning.empty()) {
    Q_EMIT failed(tr("The tuning is empty: suppress or stimulate experts first (heatmap, fTRI)."));
    return false;
  }
  auto* store = session_->store();
  try {
    const auto original = store->run(original_run);
    const std::string run_name = name.trimmed().isEmpty()
                                     ? tunedRunName(original.config.name, tuning)
                                     : name.trimmed().toStdString();
    const auto request =
        sessions::derived_request(original, tuning, sessions::RunKind::kTuned, run_name);
    const auto run = sessions::find_or_create_run(*store, request, *model_);
    Q_EMIT runsCreated();
    const int limit = derivedLimit(*store, original, options);
    return enqueue({{run.id, tr("tuned run '%1'").arg(QString::fromStdString(run_name)), limit}},
                   options);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool ExperimentRunner::startRandomControl(std::int64_t original_run, std::int64_t tuned_run,
                                          int draws, std::uint64_t seed, const Options& options) {
  if (!prepare()) return false;
  if (draws <= 0) {
    Q_EMIT failed(tr("The random control needs at least one draw."));
    return false;
  }
  auto* store = session_->store();
  try {
    const auto original = store->run(original_run);
    const auto tuned = store->run(tuned_run);
    if (tuned.config.dataset_id != original.config.dataset_id)
      throw sessions::SessionError("the tuned run and the original use different datasets");
    const auto plan = sessions::plan_random_control(tuned, static_cast<std::size_t>(draws),
                                                    tuned.config.tuning.experts().size(), seed);
    const int limit = derivedLimit(*store, original, options);
    std::vector<Step> steps;
    for (std::size_t d = 0; d < plan.runs.size(); ++d) {
      const auto& planned = plan.runs[d];
      const auto request = sessions::derived_request(original, planned.tuning, planned.kind,
                                                     planned.name, planned.draw_index);
      const auto run = sessions::find_or_create_run(*store, request, *model_);
      steps.push_back(
          {run.id, tr("random control draw %1/%2").arg(d + 1).arg(plan.runs.size()), limit});
    }
    Q_EMIT runsCreated();
    return enqueue(std::move(steps), options);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
    return false;
  }
}

bool ExperimentRunner::startDoseCurve(std::int64_t ftri_result,
                                      const std::vector<std::size_t>& doses,
                                      sessions::TuningDirection direction, sessions::RankingEnd end,
                                      const Options& options) {
  if (!prepare()) return false;
  auto* store = session_->store();
  try {
    const auto ftri = sessions::load_ftri(*store, ftri_result);
    const auto original = store->run(ftri.run_id);
    const auto ranking = sessions::ranking_addresses(ftri.analysis.table, end);
    PendingDose dose;
    dose.original_run = original.id;
    dose.classifier = ftri.classifier;
    dose.label = ftri.analysis.statistics.target;
    dose.extra = {{"ftri_result", ftri_result},
                  {"mode", sessions::to_string(direction)},
                  {"end", sessions::to_string(end)}};
    const auto plan = sessions::plan_dose_curve(original.config.name, ftri_result, ranking, doses,
                                                direction, end, ftri.geometry);
    QStringList skipped;
    for (const auto& note : plan.notes) skipped << QString::fromStdString(note);
    const int limit = derivedLimit(*store, original, options);
    std::vector<Step> steps;
    for (const auto& planned : plan.runs) {
      const auto request =
          sessions::derived_request(original, planned.tuning, planned.kind, planned.name);
      const auto run = sessions::find_or_create_run(*store, request, *model_);
      dose.doses.push_back(planned.n_experts);
      dose.runs.push_back(run.id);
      steps.push_back(
          {run.id,
           tr("dose n = %1 (%2)").arg(planned.n_experts).arg(QString::fromStdString(planned.name)),
           limit});
    }
    dose.skipped = skipped.join("; ");
    Q_EMIT runsCreated();
    Options labelled = options;
    labelled.classifier = QString::fromStdString(ftri.classifier);
    pending_dose_ = std::move(dose);
    if (enqueue(std::move(steps), labelled)) return true;
    pending_dose_.reset();
    return false;
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
    return false;
  }
}

void ExperimentRunner::storeDoseCurve() {
  const PendingDose dose = std::move(*pending_dose_);
  pending_dose_.reset();
  if (!ok_) return;  // a run stopped early: the curve would mix finished and unfinished doses
  try {
    const auto result =
        sessions::evaluate_dose_curve(*session_->store(), dose.original_run, dose.doses, dose.runs,
                                      dose.classifier, dose.label, dose.extra);
    Q_EMIT doseCurveStored(result.result_id, dose.skipped);
  } catch (const std::exception& e) {
    ok_ = false;
    message_ = tr("Dose curve: %1").arg(QString::fromStdString(e.what()));
  }
}

bool ExperimentRunner::enqueue(std::vector<Step> steps, const Options& options) {
  QString error;
  classifier_ = resolveClassifier(options.classifier, &error);
  if (!error.isEmpty()) {
    Q_EMIT failed(error);
    return false;
  }
  queue_ = std::move(steps);
  next_ = 0;
  done_.clear();
  ok_ = true;
  message_.clear();
  startNext();
  return true;
}

void ExperimentRunner::startNext() {
  if (next_ >= queue_.size()) {
    if (pending_dose_) storeDoseCurve();
    current_ = 0;
    step_text_.clear();
    const QVector<qint64> runs = done_;
    queue_.clear();
    next_ = 0;
    Q_EMIT queueFinished(ok_, message_, runs);
    return;
  }
  const Step& step = queue_[next_++];
  current_ = step.run_id;
  step_text_ = tr("%1 (%2/%3)").arg(step.description).arg(next_).arg(queue_.size());
  const auto job = runJob(sessions::EngineClient(*endpoint_), classifier_,
                          static_cast<std::size_t>(std::max(0, step.limit)));
  Q_EMIT stepStarted(step.run_id, static_cast<int>(next_), static_cast<int>(queue_.size()),
                     step.description);
  if (!controller_->startJob(session_->path(), step.run_id, job)) {
    ok_ = false;
    message_ = tr("Could not start %1: another run is executing.").arg(step.description);
    queue_.clear();
    next_ = 0;
    pending_dose_.reset();
    Q_EMIT queueFinished(false, message_, done_);
  }
}

void ExperimentRunner::onFinished(qint64 run_id, int status, const QString& error) {
  done_.append(run_id);
  Q_EMIT runStopped(run_id);
  const auto s = static_cast<sessions::RunStatus>(status);
  if (s != sessions::RunStatus::kFinished) {
    ok_ = false;
    message_ = s == sessions::RunStatus::kCancelled
                   ? tr("Cancelled (the runs are resumable: start them again).")
                   : tr("Run %1 failed: %2").arg(run_id).arg(error);
    queue_.resize(std::min(queue_.size(), next_));  // stop the queue
  }
  startNext();
}

}  // namespace mote::widgets
