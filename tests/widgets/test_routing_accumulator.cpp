// RoutingAccumulator: prompt/answer/token maps from streamed routing rows, the counting rule
// (weight 0 or a suppressed id does not count), differences, bad rows, repaint throttling.
#include <catch2/catch.hpp>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include "widgets/models/heatmap_source.h"

using mote::ActivationMap;
using mote::ModelGeometry;
using mote::RoutingRow;
using mote::sessions::GenerationResult;
using mote::sessions::TokenEvent;
using mote::widgets::HeatmapMode;
using mote::widgets::RoutingAccumulator;

namespace {

// 2 MoE layers (model layers 1 and 3), 4 experts, top-2.
ModelGeometry geometry() {
  ModelGeometry g;
  g.moe_layers = {1, 3};
  g.n_experts = 4;
  g.top_k = 2;
  return g;
}

RoutingRow row(int position, bool prompt, std::vector<int> ids, std::vector<float> weights = {}) {
  RoutingRow r;
  r.position = position;
  r.is_prompt = prompt;
  r.ids = std::move(ids);
  r.weights = std::move(weights);
  return r;
}

// A streamed generation as the engine sends it: prompt rows (3 tokens) with token 0, then the
// row of the previous token with every further token. 3 generated tokens -> 2 completion rows.
std::vector<TokenEvent> stream() {
  TokenEvent t0;
  t0.index = 0;
  t0.text = "Hello";
  t0.rows = {row(0, true, {0, 1, 2, 3}, {0.6f, 0.4f, 0.5f, 0.5f}),
             row(1, true, {0, 2, 2, 3}, {0.7f, 0.3f, 1.0f, 0.0f}),  // (moe 1, expert 3) weight 0
             row(2, true, {1, 0, 0, 1}, {0.5f, 0.5f, 0.9f, 0.1f})};
  TokenEvent t1;
  t1.index = 1;
  t1.text = " world";
  t1.rows = {row(3, false, {3, 2, 1, 0}, {0.8f, 0.2f, 0.6f, 0.4f})};
  TokenEvent t2;
  t2.index = 2;
  t2.text = "!";
  t2.rows = {row(4, false, {3, 0, 2, 1}, {0.9f, 0.1f, 0.5f, 0.5f})};
  return {t0, t1, t2};
}

std::vector<float> values(const ActivationMap& map) {
  return map.values;
}

}  // namespace

TEST_CASE("accumulator: prompt, answer and token maps from streamed rows",
          "[widgets][accumulator]") {
  RoutingAccumulator acc;
  acc.setModelGeometry(geometry());
  acc.setRepaintInterval(0);
  QSignalSpy changed(&acc, &RoutingAccumulator::mapsChanged);
  QSignalSpy tokens(&acc, &RoutingAccumulator::tokenAdded);
  for (const auto& event : stream()) acc.addTokenEvent(event);

  CHECK(acc.promptTokenCount() == 3);
  CHECK(acc.answerRowCount() == 2);
  CHECK(acc.generatedTokenCount() == 3);
  CHECK(acc.hasWeights());
  CHECK(tokens.count() == 3);
  CHECK(tokens.at(1).at(1).toString() == QStringLiteral(" world"));
  CHECK(changed.count() == 3);

  // Prompt counts: layer row 0 = ids {0,1},{0,2},{1,0}; row 1 = {2,3},{2,(3 w=0)},{0,1}.
  CHECK(values(acc.promptCounts()) == std::vector<float>{3, 2, 1, 0, 1, 1, 2, 1});
  CHECK(acc.promptWeights().at(0, 0) == Approx(0.6 + 0.7 + 0.5));
  CHECK(acc.promptWeights().at(1, 3) == Approx(0.5));
  // Answer counts over the two completion rows.
  CHECK(values(acc.answerCounts()) == std::vector<float>{1, 0, 1, 2, 1, 2, 1, 0});

  // Token 0 is routed in the row at position 3 (n_prompt + 0), token 1 at position 4; the last
  // token (2) has no row.
  CHECK(acc.hasTokenRouting(0));
  CHECK(acc.hasTokenRouting(1));
  CHECK_FALSE(acc.hasTokenRouting(2));
  CHECK(values(acc.tokenCounts(0)) == std::vector<float>{0, 0, 1, 1, 1, 1, 0, 0});
  CHECK(acc.tokenWeights(1).at(0, 3) == Approx(0.9));
  CHECK(values(acc.tokenCounts(2)) == std::vector<float>(8, 0.0f));

  const auto prompt = acc.data(HeatmapMode::kPrompt);
  CHECK(prompt.mode == HeatmapMode::kPrompt);
  CHECK(prompt.hasWeights());
  CHECK(prompt.label.contains(QStringLiteral("3 tokens")));
  const auto token = acc.data(HeatmapMode::kToken, 1);
  CHECK(token.label.contains(QStringLiteral("Token 1")));
  CHECK(token.label.contains(QStringLiteral("\u201c world\u201d")));
  CHECK(acc.data(HeatmapMode::kToken, 2).label.contains(QStringLiteral("no routing")));
  CHECK(acc.data(HeatmapMode::kAnswer).values == acc.answerCounts());

  // The whole result rebuilds the same maps (idempotent, after a stream too).
  GenerationResult result;
  result.completion_tokens = 3;
  for (const auto& event : stream()) {
    for (const auto& r : event.rows) result.routing.push_back(r);
  }
  const ActivationMap promptBefore = acc.promptCounts(), answerBefore = acc.answerCounts();
  acc.setResult(result);
  CHECK(acc.promptCounts() == promptBefore);
  CHECK(acc.answerCounts() == answerBefore);
  CHECK(acc.tokenText(2) == QStringLiteral("!"));

  // The engine client's flush event (index -1) appends to the last token's text.
  TokenEvent flush;
  flush.index = -1;
  flush.text = "?";
  acc.addTokenEvent(flush);
  CHECK(acc.tokenText(2) == QStringLiteral("!?"));
}

TEST_CASE("accumulator: ids-only capture skips the tuning's suppressed experts",
          "[widgets][accumulator]") {
  RoutingAccumulator acc;
  acc.setModelGeometry(geometry());
  mote::TuningSpec tuning;
  tuning.suppress = {{3, 2}};  // model layer 3 = MoE row 1
  acc.setTuning(tuning);
  acc.addRows({row(0, true, {0, 1, 2, 3}), row(1, true, {0, 1, 1, 2})});
  CHECK_FALSE(acc.hasWeights());
  CHECK(values(acc.promptCounts()) == std::vector<float>{2, 2, 0, 0, 0, 1, 0, 1});
  CHECK_FALSE(acc.data(HeatmapMode::kPrompt).hasWeights());
}

TEST_CASE("accumulator: difference of two generations is tuned minus original",
          "[widgets][accumulator]") {
  RoutingAccumulator original, tuned;
  original.setModelGeometry(geometry());
  tuned.setModelGeometry(geometry());
  original.addRows(
      {row(0, true, {0, 1, 2, 3}, {1, 1, 1, 1}), row(1, false, {0, 1, 2, 3}, {1, 1, 1, 1})});
  tuned.addRows(
      {row(0, true, {0, 2, 2, 3}, {1, 1, 1, 1}), row(1, false, {3, 1, 2, 3}, {1, 1, 1, 0})});
  const auto diff = RoutingAccumulator::difference(tuned, original, HeatmapMode::kAnswer);
  CHECK(diff.mode == HeatmapMode::kDifference);
  CHECK(diff.diverging);
  CHECK(diff.values.values == std::vector<float>{-1, 0, 0, 1, 0, 0, 0, -1});
  CHECK(diff.label.contains(QStringLiteral("answer")));
  const auto promptDiff = RoutingAccumulator::difference(tuned, original, HeatmapMode::kPrompt);
  CHECK(promptDiff.values.values == std::vector<float>{0, -1, 1, 0, 0, 0, 0, 0});
}

TEST_CASE("accumulator: rows that do not fit the geometry are rejected, not counted",
          "[widgets][accumulator]") {
  RoutingAccumulator acc;
  acc.setModelGeometry(geometry());
  QSignalSpy rejected(&acc, &RoutingAccumulator::rowRejected);
  acc.addRows(
      {row(0, true, {0, 1, 2}), row(1, true, {0, 1, 2, 9}), row(2, true, {0, 1, 2, 3}, {1, 1})});
  CHECK(rejected.count() == 3);
  CHECK(rejected.at(0).at(0).toString().contains(QStringLiteral("expected 4")));
  CHECK(rejected.at(1).at(0).toString().contains(QStringLiteral("expert 9")));
  CHECK(acc.promptTokenCount() == 0);
  CHECK(values(acc.promptCounts()) == std::vector<float>(8, 0.0f));
}

TEST_CASE("accumulator: mapsChanged is throttled while streaming, the last change delivered",
          "[widgets][accumulator]") {
  RoutingAccumulator acc;
  acc.setModelGeometry(ModelGeometry::deepseek_r1());
  acc.setRepaintInterval(50);
  QSignalSpy changed(&acc, &RoutingAccumulator::mapsChanged);
  QElapsedTimer timer;
  timer.start();
  std::vector<int> ids(58 * 8);
  for (int i = 0; i < 200; ++i) {
    TokenEvent event;
    event.index = i;
    event.text = "x";
    for (std::size_t j = 0; j < ids.size(); ++j) ids[j] = static_cast<int>((j * 7 + i) % 256);
    event.rows = {row(i, false, ids)};
    acc.addTokenEvent(event);
  }
  const qint64 elapsed = timer.elapsed();
  // At most one signal per 50 ms (+1 for the leading edge) while the events came in.
  CHECK(changed.count() <= 1 + elapsed / 50 + 1);
  QTest::qWait(80);  // the trailing signal arrives
  const int after = changed.count();
  CHECK(after >= 1);
  CHECK(after <= 2 + (elapsed + 80) / 50);
  CHECK(acc.answerRowCount() == 200);
  float total = 0;
  for (float v : acc.answerCounts().values) total += v;
  CHECK(total == 200 * 58 * 8);
  // flush() delivers a pending change at once.
  TokenEvent last;
  last.index = 200;
  acc.addTokenEvent(last);
  acc.addTokenEvent(last);
  acc.flush();
  const int flushed = changed.count();
  QTest::qWait(70);
  CHECK(changed.count() == flushed);
}
