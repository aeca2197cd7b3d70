#include "widgets/models/heatmap_source.h"

#include "protocol/error.h"

#include <algorithm>

namespace mote::widgets {

using mote::ActivationMap;
using mote::RoutingRow;

namespace {

// "1 token", "5 tokens" (English plural without a translator installed).
QString tokensText(int n) {
  return n == 1 ? QStringLiteral("1 token") : QStringLiteral("%1 tokens").arg(n);
}

// A token's text for a title: whitespace made visible, at most 24 characters.
QString displayToken(const QString& text) {
  QString shown = text;
  shown.replace(QLatin1Char('\n'), QStringLiteral("\u21b5"));
  shown.replace(QLatin1Char('\t'), QStringLiteral("\u2192"));
  if (shown.size() > 24) shown = shown.left(23) + QStringLiteral("\u2026");
  return QStringLiteral("\u201c%1\u201d").arg(shown);
}

}  // namespace

RoutingAccumulator::RoutingAccumulator(QObject* parent) : QObject(parent) {
  pending_.setSingleShot(true);
  connect(&pending_, &QTimer::timeout, this, &RoutingAccumulator::emitNow);
}

void RoutingAccumulator::setModelGeometry(const mote::ModelGeometry& geometry) {
  geometry_ = geometry;
  countingRule_ = {};
  reset();
}

void RoutingAccumulator::setTuning(const mote::TuningSpec& tuning) {
  try {
    countingRule_ = ExpertCountingRule(geometry_, tuning);
  } catch (const mote::Error& e) {
    // The tuning document only holds tunings that validate; one that does not (a geometry
    // change in flight) counts every selected slot and says so.
    countingRule_ = {};
    Q_EMIT rowRejected(QString::fromStdString(e.what()));
  }
}

void RoutingAccumulator::reset() {
  promptCounts_ = ActivationMap::zeros(geometry_);
  promptWeights_ = ActivationMap::zeros(geometry_);
  answerCounts_ = ActivationMap::zeros(geometry_);
  answerWeights_ = ActivationMap::zeros(geometry_);
  tokenRows_.clear();
  tokenTexts_.clear();
  promptRows_ = answerRows_ = 0;
  hasWeights_ = false;
  pending_.stop();
  emitNow();
}

QString RoutingAccumulator::tokenText(int tokenIndex) const {
  if (tokenIndex < 0 || tokenIndex >= static_cast<int>(tokenTexts_.size())) return {};
  return tokenTexts_[static_cast<std::size_t>(tokenIndex)];
}

bool RoutingAccumulator::counts(const RoutingRow& row, std::size_t moe, std::size_t slot) const {
  const std::size_t k = static_cast<std::size_t>(geometry_.top_k);
  const std::size_t i = moe * k + slot;
  return countingRule_.counts(moe, row.ids[i], row.weights.empty() ? nullptr : &row.weights[i]);
}

void RoutingAccumulator::addRow(const RoutingRow& row) {
  const std::size_t nMoe = geometry_.n_moe_layers();
  const std::size_t k = static_cast<std::size_t>(geometry_.top_k);
  if (row.ids.size() != nMoe * k ||
      (!row.weights.empty() && row.weights.size() != row.ids.size())) {
    Q_EMIT rowRejected(tr("Routing row at position %1 has %2 ids (%3 weights); expected %4 = %5 "
                          "MoE layers x top-k %6.")
                           .arg(row.position)
                           .arg(row.ids.size())
                           .arg(row.weights.size())
                           .arg(nMoe * k)
                           .arg(nMoe)
                           .arg(k));
    return;
  }
  for (int id : row.ids) {
    if (id < 0 || id >= geometry_.n_experts) {
      Q_EMIT rowRejected(tr("Routing row at position %1 selects expert %2, outside 0..%3.")
                             .arg(row.position)
                             .arg(id)
                             .arg(geometry_.n_experts - 1));
      return;
    }
  }
  if (!row.weights.empty()) hasWeights_ = true;
  ActivationMap& countMap = row.is_prompt ? promptCounts_ : answerCounts_;
  ActivationMap& weightMap = row.is_prompt ? promptWeights_ : answerWeights_;
  for (std::size_t moe = 0; moe < nMoe; ++moe) {
    for (std::size_t slot = 0; slot < k; ++slot) {
      const std::size_t i = moe * k + slot;
      const std::size_t expert = static_cast<std::size_t>(row.ids[i]);
      if (counts(row, moe, slot)) countMap.at(moe, expert) += 1.0f;
      if (!row.weights.empty()) weightMap.at(moe, expert) += row.weights[i];
    }
  }
  if (row.is_prompt) {
    ++promptRows_;
    return;
  }
  const int fromPosition = row.position - promptRows_;
  const int token = fromPosition >= 0 ? fromPosition : answerRows_;
  ++answerRows_;
  if (static_cast<int>(tokenRows_.size()) <= token)
    tokenRows_.resize(static_cast<std::size_t>(token) + 1);
  StoredRow& stored = tokenRows_[static_cast<std::size_t>(token)];
  stored.present = true;
  stored.ids.assign(row.ids.begin(), row.ids.end());
  stored.weights = row.weights;
}

void RoutingAccumulator::addRows(const std::vector<RoutingRow>& rows) {
  if (rows.empty()) return;
  for (const auto& row : rows) addRow(row);
  markChanged();
}

void RoutingAccumulator::addTokenEvent(const sessions::TokenEvent& event) {
  for (const auto& row : event.rows) addRow(row);
  if (event.index >= 0) {
    if (static_cast<int>(tokenTexts_.size()) <= event.index) {
      tokenTexts_.resize(static_cast<std::size_t>(event.index) + 1);
    }
    tokenTexts_[static_cast<std::size_t>(event.index)] = QString::fromStdString(event.text);
    Q_EMIT tokenAdded(event.index, tokenTexts_[static_cast<std::size_t>(event.index)]);
  } else if (!tokenTexts_.empty()) {
    // The flush event (index -1): held-back text of the last token.
    tokenTexts_.back() += QString::fromStdString(event.text);
  }
  markChanged();
}

void RoutingAccumulator::setResult(const sessions::GenerationResult& result) {
  auto texts = std::move(tokenTexts_);
  reset();
  for (const auto& row : result.routing) addRow(row);
  tokenTexts_ = std::move(texts);
  if (static_cast<int>(tokenTexts_.size()) < result.completion_tokens) {
    tokenTexts_.resize(static_cast<std::size_t>(result.completion_tokens));
  }
  emitNow();
}

void RoutingAccumulator::flush() {
  if (pending_.isActive()) {
    pending_.stop();
    emitNow();
  }
}

void RoutingAccumulator::markChanged() {
  if (interval_ <= 0 || !sinceEmit_.isValid() || sinceEmit_.elapsed() >= interval_) {
    pending_.stop();
    emitNow();
  } else if (!pending_.isActive()) {
    pending_.start(std::max<int>(1, interval_ - static_cast<int>(sinceEmit_.elapsed())));
  }
}

void RoutingAccumulator::emitNow() {
  sinceEmit_.start();
  Q_EMIT mapsChanged();
}

bool RoutingAccumulator::hasTokenRouting(int tokenIndex) const {
  return tokenIndex >= 0 && tokenIndex < static_cast<int>(tokenRows_.size()) &&
         tokenRows_[static_cast<std::size_t>(tokenIndex)].present;
}

ActivationMap RoutingAccumulator::tokenCounts(int tokenIndex) const {
  ActivationMap map = ActivationMap::zeros(geometry_);
  if (!hasTokenRouting(tokenIndex)) return map;
  const StoredRow& stored = tokenRows_[static_cast<std::size_t>(tokenIndex)];
  RoutingRow row;
  row.ids.assign(stored.ids.begin(), stored.ids.end());
  row.weights = stored.weights;
  const std::size_t k = static_cast<std::size_t>(geometry_.top_k);
  for (std::size_t moe = 0; moe < geometry_.n_moe_layers(); ++moe) {
    for (std::size_t slot = 0; slot < k; ++slot) {
      if (counts(row, moe, slot))
        map.at(moe, static_cast<std::size_t>(row.ids[moe * k + slot])) += 1.0f;
    }
  }
  return map;
}

ActivationMap RoutingAccumulator::tokenWeights(int tokenIndex) const {
  ActivationMap map = ActivationMap::zeros(geometry_);
  if (!hasTokenRouting(tokenIndex)) return map;
  const StoredRow& stored = tokenRows_[static_cast<std::size_t>(tokenIndex)];
  if (stored.weights.empty()) return map;
  const std::size_t k = static_cast<std::size_t>(geometry_.top_k);
  for (std::size_t moe = 0; moe < geometry_.n_moe_layers(); ++moe) {
    for (std::size_t slot = 0; slot < k; ++slot) {
      map.at(moe, static_cast<std::size_t>(stored.ids[moe * k + slot])) +=
          stored.weights[moe * k + slot];
    }
  }
  return map;
}

HeatmapData RoutingAccumulator::data(HeatmapMode mode, int tokenIndex) const {
  HeatmapData d;
  d.mode = mode;
  switch (mode) {
    case HeatmapMode::kPrompt:
      d.values = promptCounts_;
      if (hasWeights_) d.weights = promptWeights_;
      d.label = tr("Prompt aggregate \u00b7 %1").arg(tokensText(promptRows_));
      break;
    case HeatmapMode::kAnswer:
      d.values = answerCounts_;
      if (hasWeights_) d.weights = answerWeights_;
      d.label = tr("Answer aggregate \u00b7 %1").arg(tokensText(answerRows_));
      break;
    case HeatmapMode::kToken:
    case HeatmapMode::kDifference:  // a single accumulator has no difference: show the token
      d.mode = HeatmapMode::kToken;
      d.values = tokenCounts(tokenIndex);
      if (hasWeights_) d.weights = tokenWeights(tokenIndex);
      if (tokenIndex < 0) {
        d.label = tr("Token \u00b7 hover a generated token");
      } else {
        const QString text = tokenText(tokenIndex);
        d.label = tr("Token %1").arg(tokenIndex);
        if (!text.isEmpty()) d.label += QStringLiteral(" \u00b7 ") + displayToken(text);
        if (!hasTokenRouting(tokenIndex)) d.label += tr(" \u00b7 no routing (not fed back yet)");
      }
      break;
  }
  return d;
}

ActivationMap RoutingAccumulator::difference(const ActivationMap& a, const ActivationMap& b) {
  ActivationMap out(a.rows, a.cols);
  if (a.values.size() != b.values.size()) return out;
  for (std::size_t i = 0; i < a.values.size(); ++i) out.values[i] = a.values[i] - b.values[i];
  return out;
}

HeatmapData RoutingAccumulator::difference(const RoutingAccumulator& tuned,
                                           const RoutingAccumulator& original, HeatmapMode base,
                                           int tokenIndex) {
  const HeatmapData t = tuned.data(base, tokenIndex);
  const HeatmapData o = original.data(base, tokenIndex);
  HeatmapData d;
  d.mode = HeatmapMode::kDifference;
  d.diverging = true;
  d.values = difference(t.values, o.values);
  if (t.hasWeights() && o.hasWeights()) d.weights = difference(t.weights, o.weights);
  d.valueName = tr("\u0394 count");
  d.label = tr("Tuned \u2212 original \u00b7 %1").arg(heatmapModeName(t.mode).toLower());
  return d;
}

}  // namespace mote::widgets
