// Benchmarks (hidden: run with `mote_widgets_tests "[.bench]"` under xvfb-run). Prints the
// heatmap repaint time with changing data at R1 (58 x 256) and Kimi-K2 (60 x 384) geometries,
// the accumulator's per-token cost and the chat pane's per-token append cost.
#include <catch2/catch.hpp>

#include <QElapsedTimer>
#include <QTest>
#include <algorithm>
#include <cstdio>
#include <random>

#include "widgets/chat_pane.h"
#include "widgets/chat_token_view.h"
#include "widgets/chat_turn_widget.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/heatmap_source.h"
#include "widgets/models/tuning_document.h"

using mote::ModelGeometry;
using mote::widgets::HeatmapData;
using mote::widgets::HeatmapMode;
using mote::widgets::HeatmapView;
using mote::widgets::RoutingAccumulator;
using mote::widgets::TuningDocument;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

ModelGeometry kimiK2() {
  ModelGeometry g;
  for (int layer = 1; layer <= 60; ++layer) g.moe_layers.push_back(layer);
  g.n_experts = 384;
  g.top_k = 8;
  return g;
}

}  // namespace

TEST_CASE("bench: heatmap repaint with changing data", "[.bench][widgets]") {
  constexpr int kRepaints = 101;
  for (const auto& [name, geometry] : {std::pair{"R1 58x256", ModelGeometry::deepseek_r1()},
                                       std::pair{"Kimi-K2 60x384", kimiK2()}}) {
    for (QSize size : {QSize(1200, 700), QSize(1920, 1080)}) {
      TuningDocument document(geometry);
      // A realistic tuning: 40 suppressed + 8 stimulated marks.
      std::mt19937 rng(1);
      for (int i = 0; i < 40; ++i) {
        document.setState({geometry.moe_layers[rng() % geometry.moe_layers.size()],
                           static_cast<int>(rng() % geometry.n_experts)},
                          mote::widgets::ExpertState::kSuppressed);
      }
      for (int i = 0; i < 8; ++i) {
        document.setState({geometry.moe_layers[static_cast<std::size_t>(i) * 5], i},
                          mote::widgets::ExpertState::kStimulated);
      }
      HeatmapView view;
      view.setDocument(&document);
      view.resize(size);
      view.show();
      REQUIRE(QTest::qWaitForWindowExposed(&view));
      HeatmapData data;
      data.values = mote::ActivationMap::zeros(geometry);
      data.label = QStringLiteral("Answer aggregate");
      std::vector<double> total, rebuild, paintOnly;
      QImage offscreen(size, QImage::Format_ARGB32_Premultiplied);
      for (int i = 0; i < kRepaints; ++i) {
        // Data changes every time (as when a token streams in): +top_k counts per layer.
        for (std::size_t row = 0; row < geometry.n_moe_layers(); ++row) {
          for (int k = 0; k < geometry.top_k; ++k)
            data.values.at(row, rng() % geometry.n_experts) += 1;
        }
        QElapsedTimer timer;
        timer.start();
        view.setData(data);
        const double afterData = timer.nsecsElapsed() / 1e6;
        view.repaint();  // synchronous paint + flush to the (xvfb) window
        total.push_back(timer.nsecsElapsed() / 1e6);
        rebuild.push_back(afterData);
        // The widget's paint code alone (no window-system flush).
        timer.restart();
        view.render(&offscreen);
        paintOnly.push_back(timer.nsecsElapsed() / 1e6);
      }
      std::printf(
          "heatmap repaint %-15s at %4dx%-4d: median %.2f ms (p90 %.2f ms) per data change + "
          "repaint (paintEvent alone %.2f ms, image rebuild %.3f ms); %d repaints\n",
          name, size.width(), size.height(), median(total), percentile(total, 0.9),
          median(paintOnly), median(rebuild), kRepaints);
      CHECK(median(total) < 100.0);
    }
  }
}

TEST_CASE("bench: accumulator and chat pane per streamed token", "[.bench][widgets]") {
  const ModelGeometry r1 = ModelGeometry::deepseek_r1();
  RoutingAccumulator acc;
  acc.setModelGeometry(r1);
  std::mt19937 rng(2);
  constexpr int kTokens = 2000;
  std::vector<mote::sessions::TokenEvent> events(kTokens);
  for (int i = 0; i < kTokens; ++i) {
    events[static_cast<std::size_t>(i)].index = i;
    events[static_cast<std::size_t>(i)].text = " token";
    mote::RoutingRow row;
    row.position = i;
    row.is_prompt = false;
    row.ids.resize(58 * 8);
    row.weights.resize(58 * 8, 0.125f);
    for (auto& id : row.ids) id = static_cast<int>(rng() % 256);
    events[static_cast<std::size_t>(i)].rows = {row};
  }
  QElapsedTimer timer;
  timer.start();
  for (const auto& event : events) acc.addTokenEvent(event);
  const double accUs = timer.nsecsElapsed() / 1e3 / kTokens;
  timer.restart();
  for (int i = 0; i < 100; ++i) {
    const HeatmapData data = acc.data(HeatmapMode::kAnswer);
    REQUIRE(data.values.size() == r1.n_cells());
  }
  const double dataUs = timer.nsecsElapsed() / 1e3 / 100;

  std::printf("accumulator: %.1f us per token (R1 row, ids+weights); data(kAnswer) %.1f us\n",
              accUs, dataUs);

  // Chat pane: 2000 tokens, as paragraphs of ~40 tokens (typical R1 text) and as one paragraph.
  // Tokens are buffered per append; the view inserts a batch per timer tick (25 ms). Here a batch
  // of 20 tokens is flushed and laid out + painted explicitly to time it at the start and the end.
  for (int paragraph : {40, 0}) {
    mote::widgets::ChatPane pane;
    pane.resize(600, 800);
    pane.show();
    REQUIRE(QTest::qWaitForWindowExposed(&pane));
    pane.beginAnswer(true);
    mote::widgets::ChatTurnWidget* turn = pane.turnWidget(0);
    std::vector<double> append, batch;
    timer.restart();
    for (int i = 0; i < kTokens; ++i) {
      QString text = i == 300 ? QStringLiteral("</think>") : QStringLiteral(" word%1").arg(i % 50);
      if (paragraph > 0 && i % paragraph == paragraph - 1) text += QStringLiteral("\n\n");
      QElapsedTimer one;
      one.start();
      pane.appendToken(i, text);
      append.push_back(one.nsecsElapsed() / 1e3);
      if (i % 20 == 19) {
        one.restart();
        turn->thinkView()->flush();
        turn->answerView()->flush();
        QCoreApplication::processEvents();  // layout + paint
        batch.push_back(one.nsecsElapsed() / 1e3);
      }
    }
    const double chatTotalMs = timer.nsecsElapsed() / 1e6;
    const std::vector<double> firstBatches(batch.begin(), batch.begin() + 10);
    const std::vector<double> lastBatches(batch.end() - 10, batch.end());
    std::printf(
        "chat pane (%s): %d tokens in %.0f ms = %.0f us/token; append %.1f us median; "
        "batch of 20 (insert + layout + paint) median %.0f us at tokens 0-199, %.0f us "
        "at tokens %d-%d\n",
        paragraph > 0 ? "paragraphs of 40 tokens" : "one 2000-token paragraph", kTokens,
        chatTotalMs, chatTotalMs * 1e3 / kTokens, median(append), median(firstBatches),
        median(lastBatches), kTokens - 200, kTokens - 1);
    if (paragraph > 0) CHECK(median(lastBatches) < 5 * std::max(median(firstBatches), 1000.0));
  }
}
