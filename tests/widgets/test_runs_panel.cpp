// The Runs dock's form, driven like a user against a real session file (no engine: the runs
// the test starts fail before any request, in the session's own checks).
#include <catch2/catch.hpp>

#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>

#include "session_fixture.h"
#include "widgets/experiment_runner.h"
#include "widgets/models/session_controller.h"
#include "widgets/runs_panel.h"

using mote::widgets::ExperimentRunner;
using mote::widgets::RunsPanel;
using mote::widgets::SessionController;
using mote::widgets_test::SessionFixture;

namespace {

// An engine that is "connected" (its endpoint is never reached by these tests) serving the
// fixture's model.
ExperimentRunner::Engine fixtureEngine() {
  ExperimentRunner::Engine engine;
  engine.endpoint = [] {
    return std::optional<mote::sessions::EngineEndpoint>({"http://127.0.0.1:9", ""});
  };
  engine.model = [] {
    mote::ModelInfo model;
    model.id = "synthetic";
    model.geometry = mote::widgets_test::fixtureGeometry();
    return std::optional<mote::ModelInfo>(model);
  };
  return engine;
}

}  // namespace

TEST_CASE("runs form: a kind change gives a fresh name; a clashing name is an error in the dock",
          "[widgets][runs-panel]") {
  SessionFixture fixture;
  fixture.store.reset();
  SessionController session;
  REQUIRE(session.openSession(QString::fromStdString(fixture.path)));
  ExperimentRunner runner(fixtureEngine(), &session);
  RunsPanel::Providers providers;
  providers.sampling = [] { return mote::sessions::SamplingSettings{}; };
  providers.tuning = [] {
    mote::TuningSpec tuning;
    tuning.suppress = {{3, 1}};
    return tuning;
  };
  providers.classifier = [] { return QString(); };
  RunsPanel panel(&runner, providers);
  panel.setStore(session.store());
  auto* name = panel.findChild<QLineEdit*>("runName");
  auto* message = panel.findChild<QLabel*>("runMessage");
  REQUIRE(name);
  REQUIRE(message);
  const auto runs_before = session.store()->list_runs().size();

  // The original run was started as "original"; switching to Tuned must not keep that name
  // (Start would then try to resume the original run as a tuned one).
  panel.setKind(RunsPanel::Kind::kOriginal);
  panel.setRunName("original");
  panel.setKind(RunsPanel::Kind::kTuned);
  CHECK(name->text().isEmpty());
  CHECK(name->placeholderText().contains("suppress"));

  // A name that is taken by a run of another kind: no run, and the dock says why in words.
  panel.setOriginalRun(fixture.original_run);
  panel.setRunName("original");
  QSignalSpy failed(&panel, &RunsPanel::failed);
  QSignalSpy runner_failed(&runner, &ExperimentRunner::failed);
  CHECK_FALSE(panel.start());
  CHECK(failed.size() + runner_failed.size() == 1);
  CHECK(message->text().contains("Not started"));
  CHECK(message->text().contains("'original' already exists with kind original"));
  CHECK(message->text().contains("another name"));
  CHECK(session.store()->list_runs().size() == runs_before);
  CHECK_FALSE(runner.busy());
}
