#pragma once
// A ranked expert table (an fTRI result) as a Qt table: rank, layer, MoE layer, expert,
// resonance, t, p, q, stability. Shows one end of the ranking (top = most resonant first,
// bottom = most negative first), optionally only the first `limit` rows.
#include <QVector>
#include <vector>

#include "protocol/model_geometry.h"
#include "sessions/evaluation.h"
#include "sessions/result_export.h"
#include "widgets/models/table_model.h"

namespace mote::widgets {

class ExpertRankingModel : public TableModel {
  Q_OBJECT

 public:
  enum Column {
    kRank,
    kLayer,
    kMoeLayer,
    kExpert,
    kResonance,
    kT,
    kP,
    kQ,
    kStability,
    kColumnCount
  };
  enum Role {
    kLayerRole = Qt::UserRole + 1,  // model layer index (int)
    kExpertRole,                    // expert index (int)
    kSortRole,                      // numbers as numbers
  };

  explicit ExpertRankingModel(QObject* parent = nullptr);

  // `table` ranked best first (as sessions::expert_table returns it). limit 0 = all rows.
  void setTable(const std::vector<sessions::ExpertTableRow>& table,
                sessions::RankingEnd end = sessions::RankingEnd::kTop, int limit = 0);
  void setEnd(sessions::RankingEnd end);
  void setLimit(int limit);
  sessions::RankingEnd end() const { return end_; }
  int limit() const { return limit_; }
  void clear();

  const sessions::ExpertTableRow& row(int r) const { return rows_.at(static_cast<std::size_t>(r)); }
  mote::ExpertAddress address(int r) const;
  // The first n experts of this end (n may exceed the visible limit; clamped to the table).
  std::vector<mote::ExpertAddress> firstExperts(int n) const;
  // Rows of this end as a CSV (sessions::expert_table_csv columns).
  std::string toCsv() const;

 protected:
  int rows() const override { return static_cast<int>(rows_.size()); }
  int columns() const override { return kColumnCount; }
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;
  QString columnToolTip(int column) const override;

 private:
  void rebuild();

  std::vector<sessions::ExpertTableRow> table_;  // full ranking, best first
  std::vector<sessions::ExpertTableRow> rows_;   // this end, limited
  sessions::RankingEnd end_ = sessions::RankingEnd::kTop;
  int limit_ = 0;
};

}  // namespace mote::widgets
