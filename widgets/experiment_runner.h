#pragma once
// Runs of the open session from the workbench: an original run of a dataset, a tuned run (the
// original's settings with another tuning) and a random control of K draws, created and named
// like `mote run` / `eval` / `control` (sessions/run_request.h: same names, so the CLI and the
// GUI resume each other's runs). Runs execute one after another off the UI thread through a
// RunController (progress, rate, ETA, cancel); each is labelled with the chosen classifier when
// it stops.
#include <QObject>
#include <QString>
#include <QVector>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "sessions/answer_classifier.h"
#include "sessions/engine_client.h"
#include "sessions/evaluation.h"
#include "sessions/result_export.h"
#include "sessions/run_request.h"

namespace mote::widgets {

class RunController;
class SessionController;

class ExperimentRunner : public QObject {
  Q_OBJECT
 public:
  struct Options {
    QString classifier;  // a classifier stored in the session, else a built-in; "" = none
    // Answer at most this many prompts per run now (0 = all); the runs stay resumable. Derived
    // runs (tuned, controls) of a partly answered original answer as many as it has.
    int limit = 0;
  };

  // The engine runs go to, asked for when runs start: its endpoint and the model it serves,
  // nullopt while not connected.
  struct Engine {
    std::function<std::optional<sessions::EngineEndpoint>()> endpoint;
    std::function<std::optional<mote::ModelInfo>()> model;
  };

  ExperimentRunner(Engine engine, SessionController* session, QObject* parent = nullptr);
  ~ExperimentRunner() override;

  widgets::RunController* controller() const { return controller_; }
  bool busy() const;
  // The run executing now (0 if none) and the queue position ("2/3").
  std::int64_t currentRun() const { return current_; }
  QString currentStep() const { return step_text_; }

  // Each creates (or finds, to resume) the runs, then starts executing them; false with failed()
  // if the session, the engine or a setting is wrong, or runs are already executing.
  bool startOriginal(std::int64_t dataset_id, const QString& name,
                     const sessions::SamplingSettings& sampling, const Options& options);
  bool startTuned(std::int64_t original_run, const mote::TuningSpec& tuning, const QString& name,
                  const Options& options);
  // K draws of as many random experts as `tuned_run` tunes (none of them, same direction), named
  // <tuned>-random<N>-s<seed>-d<d> like `mote control`.
  bool startRandomControl(std::int64_t original_run, std::int64_t tuned_run, int draws,
                          std::uint64_t seed, const Options& options);
  // Dose curve of an fTRI result, like `mote dose`: one tuned run of its original per dose n
  // (the first n of the ranking's `end`, suppressed or stimulated; doses that cannot be run are
  // left out, named in doseCurveStored's `skipped`), then the "dose-curve" result of the
  // result's class and labels is stored (doseCurveStored) before queueFinished. The runs are
  // labelled with the fTRI result's classifier, whatever options.classifier says.
  bool startDoseCurve(std::int64_t ftri_result, const std::vector<std::size_t>& doses,
                      sessions::TuningDirection direction, sessions::RankingEnd end,
                      const Options& options);

  // The name a tuned run of `original` with `tuning` gets when none is given: the same tuning
  // gives the same name, so starting it again resumes it.
  static std::string tunedRunName(const std::string& original, const mote::TuningSpec& tuning);
  // The random-control runs of `tuned` stored in the session (by their names), in draw order.
  static std::vector<std::int64_t> controlRunsOf(sessions::SessionStore& store,
                                                 const sessions::RunInfo& tuned);

 public Q_SLOTS:
  void cancel();

 Q_SIGNALS:
  // Runs were created (the runs table should reload).
  void runsCreated();
  // Run `run_id` starts executing: step index of count (1-based) and a description.
  void stepStarted(qint64 run_id, int index, int count, const QString& description);
  // One run stopped (finished, limit reached, cancelled or failed).
  void runStopped(qint64 run_id);
  // The whole queue is done: ok = every run finished or reached its limit.
  void queueFinished(bool ok, const QString& message, const QVector<qint64>& run_ids);
  void failed(const QString& message);
  // A dose curve's runs finished and its result was stored (`skipped`: doses left out, why).
  void doseCurveStored(qint64 result_id, const QString& skipped);

 private:
  // What to store once a dose curve's runs are done.
  struct PendingDose {
    std::int64_t original_run = 0;
    std::vector<std::size_t> doses;
    std::vector<std::int64_t> runs;
    std::string classifier;
    std::string label;
    nlohmann::json extra;
    QString skipped;
  };
  void storeDoseCurve();
  struct Step {
    std::int64_t run_id = 0;
    QString description;
    int limit = 0;
  };
  // Checks that runs can start (idle, a session, an engine); emits failed() if not.
  bool prepare();
  // The per-run prompt limit of a run derived from `original`: options.limit, else the
  // original's answer count if it is a subset (sessions::derived_answer_limit).
  static int derivedLimit(sessions::SessionStore& store, const sessions::RunInfo& original,
                          const Options& options);
  bool enqueue(std::vector<Step> steps, const Options& options);
  void startNext();
  void onFinished(qint64 run_id, int status, const QString& error);
  std::shared_ptr<const sessions::AnswerClassifier> resolveClassifier(const QString& name,
                                                                      QString* error);

  Engine engine_;
  std::optional<mote::ModelInfo> model_;  // the engine's model when the queue was prepared
  SessionController* session_;
  widgets::RunController* controller_;
  std::vector<Step> queue_;
  std::size_t next_ = 0;
  QVector<qint64> done_;
  std::shared_ptr<const sessions::AnswerClassifier> classifier_;
  std::optional<sessions::EngineEndpoint> endpoint_;
  std::int64_t current_ = 0;
  QString step_text_;
  bool ok_ = true;
  QString message_;
  std::optional<PendingDose> pending_dose_;
};

}  // namespace mote::widgets
