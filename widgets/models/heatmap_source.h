#pragma once
// RoutingAccumulator: the heatmap's data source during a streaming generation. Feed it the
// engine client's routing rows as they arrive (TokenEvent per generated token, or the whole
// GenerationResult at the end) and it keeps, per MoE layer and expert:
//   - prompt counts / router-weight sums (rows with is_prompt),
//   - answer counts / weight sums (completion rows),
//   - the routing of every generated token (a map with one count per selected expert).
// It emits mapsChanged() at most once per repaint interval (default 33 ms, i.e. <= 30 Hz), with
// the last change always delivered, so a view can repaint on every signal while tokens stream.
//
// Counting rule (as the engine's prompt_counts): a selected expert counts when its weight is
// non-zero. Rows captured with "ids" only have no weights; then every selected id counts except
// the experts suppressed by the tuning given to setTuning() (a suppressed expert keeps its slot
// with weight 0).
//
// Token index convention: generated token i (TokenEvent::index) is routed when it is fed back
// into the model, i.e. the completion row at position n_prompt + i; that row arrives with token
// i + 1, and the last generated token has no row (the engine never feeds it back). "Token under
// the cursor" shows that row; hasTokenRouting(i) says whether it exists yet.
//
// Thread affinity: a QObject of the GUI thread. The engine client calls back on its worker
// thread; forward events with a queued connection or QMetaObject::invokeMethod (TokenEvent and
// GenerationResult are registered metatypes).
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <cstdint>
#include <set>
#include <vector>

#include "protocol/activation_map.h"
#include "protocol/expert_counting.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "sessions/engine_client.h"
#include "widgets/models/heatmap_data.h"
#include "widgets/models/heatmap_metatypes.h"  // TokenEvent, GenerationResult, RoutingRow

namespace mote::widgets {

class RoutingAccumulator : public QObject {
  Q_OBJECT

 public:
  explicit RoutingAccumulator(QObject* parent = nullptr);

  // Resets all maps to the new shape.
  void setModelGeometry(const mote::ModelGeometry& geometry);
  const mote::ModelGeometry& modelGeometry() const { return geometry_; }
  // The tuning of the request (only used for "ids" captures without weights, see above).
  void setTuning(const mote::TuningSpec& tuning);
  // Minimum time between two mapsChanged() signals (0 = every change).
  void setRepaintInterval(int milliseconds) { interval_ = milliseconds; }
  int repaintInterval() const { return interval_; }

  int promptTokenCount() const { return promptRows_; }
  int answerRowCount() const { return answerRows_; }
  // Generated tokens seen (TokenEvents, or completion_tokens of a result).
  int generatedTokenCount() const { return static_cast<int>(tokenTexts_.size()); }
  QString tokenText(int tokenIndex) const;
  bool hasWeights() const { return hasWeights_; }

  const mote::ActivationMap& promptCounts() const { return promptCounts_; }
  const mote::ActivationMap& promptWeights() const { return promptWeights_; }
  const mote::ActivationMap& answerCounts() const { return answerCounts_; }
  const mote::ActivationMap& answerWeights() const { return answerWeights_; }
  bool hasTokenRouting(int tokenIndex) const;
  // Routing of generated token `tokenIndex` (zeros if it has none yet).
  mote::ActivationMap tokenCounts(int tokenIndex) const;
  mote::ActivationMap tokenWeights(int tokenIndex) const;

  // The map for a view: kPrompt, kAnswer or kToken (with tokenIndex). kDifference needs two
  // accumulators: use difference().
  HeatmapData data(HeatmapMode mode, int tokenIndex = -1) const;
  // tuned - original of the `base` mode's counts (and weight sums), diverging.
  static HeatmapData difference(const RoutingAccumulator& tuned, const RoutingAccumulator& original,
                                HeatmapMode base, int tokenIndex = -1);

 public Q_SLOTS:
  void reset();
  void addRows(const std::vector<mote::RoutingRow>& rows);
  void addTokenEvent(const mote::sessions::TokenEvent& event);
  // Rebuilds everything from a finished generation's rows (idempotent) and flushes.
  void setResult(const mote::sessions::GenerationResult& result);
  // Emits a pending mapsChanged() now (e.g. when the generation ends).
  void flush();

 Q_SIGNALS:
  void mapsChanged();
  void tokenAdded(int tokenIndex, const QString& text);
  // A row did not fit the geometry (wrong length, expert out of range); the row is skipped.
  void rowRejected(const QString& message);

 private:
  struct StoredRow {
    bool present = false;
    std::vector<std::int32_t> ids;  // [n_moe * top_k]
    std::vector<float> weights;     // same or empty
  };
  bool counts(const mote::RoutingRow& row, std::size_t moe, std::size_t slot) const;
  void addRow(const mote::RoutingRow& row);
  void markChanged();
  void emitNow();
  static mote::ActivationMap difference(const mote::ActivationMap& a, const mote::ActivationMap& b);

  mote::ModelGeometry geometry_;
  ExpertCountingRule countingRule_;  // the tuning's suppressed experts (protocol/expert_counting.h)
  mote::ActivationMap promptCounts_, promptWeights_, answerCounts_, answerWeights_;
  std::vector<StoredRow> tokenRows_;  // index = generated token index
  std::vector<QString> tokenTexts_;
  int promptRows_ = 0, answerRows_ = 0;
  bool hasWeights_ = false;

  int interval_ = 33;
  QElapsedTimer sinceEmit_;
  QTimer pending_;
};

}  // namespace mote::widgets
