#include "widgets/models/session_expert_model.h"

#include <QBrush>
#include <QColor>
#include <algorithm>
#include <cmath>

namespace mote::widgets {
namespace {

QString formatNumber(float v, int precision = 4) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
  if (std::isnan(v)) return QStringLiteral("nan");
  return QString::number(static_cast<double>(v), 'g', precision);
}

}  // namespace

ExpertRankingModel::ExpertRankingModel(QObject* parent) : TableModel(parent) {}

void ExpertRankingModel::setTable(const std::vector<sessions::ExpertTableRow>& table,
                                  sessions::RankingEnd end, int limit) {
  table_ = table;
  end_ = end;
  limit_ = std::max(0, limit);
  rebuild();
}

void ExpertRankingModel::setEnd(sessions::RankingEnd end) {
  if (end == end_) return;
  end_ = end;
  rebuild();
}

void ExpertRankingModel::setLimit(int limit) {
  limit = std::max(0, limit);
  if (limit == limit_) return;
  limit_ = limit;
  rebuild();
}

void ExpertRankingModel::clear() {
  table_.clear();
  rebuild();
}

void ExpertRankingModel::rebuild() {
  beginResetModel();
  rows_ = table_;
  if (end_ == sessions::RankingEnd::kBottom) std::reverse(rows_.begin(), rows_.end());
  if (limit_ > 0 && rows_.size() > static_cast<std::size_t>(limit_))
    rows_.resize(static_cast<std::size_t>(limit_));
  endResetModel();
}

mote::ExpertAddress ExpertRankingModel::address(int r) const {
  const auto& row = rows_.at(static_cast<std::size_t>(r));
  return {row.layer, row.expert};
}

std::vector<mote::ExpertAddress> ExpertRankingModel::firstExperts(int n) const {
  auto addresses = sessions::ranking_addresses(table_, end_);
  if (n >= 0 && addresses.size() > static_cast<std::size_t>(n))
    addresses.resize(static_cast<std::size_t>(n));
  return addresses;
}

std::string ExpertRankingModel::toCsv() const {
  return sessions::expert_table_csv(rows_);
}

QVariant ExpertRankingModel::cell(int row, int column, int role) const {
  const auto& r = rows_[static_cast<std::size_t>(row)];
  switch (role) {
    case Qt::DisplayRole:
      switch (column) {
        case kRank:
          return static_cast<qulonglong>(r.rank);
        case kLayer:
          return r.layer;
        case kMoeLayer:
          return r.moe_layer;
        case kExpert:
          return r.expert;
        case kResonance:
          return formatNumber(r.resonance);
        case kT:
          return formatNumber(r.t, 3);
        case kP:
          return formatNumber(r.p, 3);
        case kQ:
          return formatNumber(r.q, 3);
        case kStability:
          return formatNumber(r.stability, 3);
        default:
          return {};
      }
    case kSortRole:
      switch (column) {
        case kResonance:
          return static_cast<double>(r.resonance);
        case kT:
          return static_cast<double>(r.t);
        case kP:
          return static_cast<double>(r.p);
        case kQ:
          return static_cast<double>(r.q);
        case kStability:
          return static_cast<double>(r.stability);
        default:
          return cell(row, column, Qt::DisplayRole);
      }
    case Qt::TextAlignmentRole:
      return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
      // Not significant at q = 0.05: grey.
      if (column == kQ && r.q > 0.05f) return QBrush(QColor(130, 130, 130));
      return {};
    case Qt::ToolTipRole:
      return tr("layer %1 (MoE layer %2), expert %3: resonance %4, t %5, p %6, q %7, "
                "stability %8")
          .arg(r.layer)
          .arg(r.moe_layer)
          .arg(r.expert)
          .arg(formatNumber(r.resonance), formatNumber(r.t), formatNumber(r.p), formatNumber(r.q),
               formatNumber(r.stability));
    case kLayerRole:
      return r.layer;
    case kExpertRole:
      return r.expert;
    default:
      return {};
  }
}

QString ExpertRankingModel::columnToolTip(int column) const {
  switch (column) {
    case kResonance:
      return tr("fTRI resonance: class mean minus the mean of the other classes");
    case kT:
      return tr("Welch's t");
    case kP:
      return tr("Permutation p-value");
    case kQ:
      return tr("Benjamini-Hochberg q-value");
    case kStability:
      return tr("Share of bootstrap resamples with the expert in the top N");
    default:
      return {};
  }
}

QString ExpertRankingModel::columnTitle(int column) const {
  switch (column) {
    case kRank:
      return tr("Rank");
    case kLayer:
      return tr("Layer");
    case kMoeLayer:
      return tr("MoE layer");
    case kExpert:
      return tr("Expert");
    case kResonance:
      return tr("Resonance");
    case kT:
      return tr("t");
    case kP:
      return tr("p");
    case kQ:
      return tr("q");
    case kStability:
      return tr("Stability");
    default:
      return {};
  }
}

}  // namespace mote::widgets
