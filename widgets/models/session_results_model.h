#pragma once
// The answers of one or more runs as a table (run, #, prompt, answer, label, rule label, finish,
// tokens) with editable labels: editing a label stores a manual label for the current classifier
// (SessionStore::set_manual_label; an empty text clears it, so the rule label applies again).
// ResultsFilterProxyModel filters by text, label and run and sorts numerically where it matters.
#include <QSortFilterProxyModel>
#include <QStringList>
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/session_store.h"
#include "widgets/models/session_table_model.h"

namespace mote::widgets {

class SessionResultsModel : public SessionTableModel {
  Q_OBJECT

 public:
  enum Column {
    kRun,
    kPosition,
    kPrompt,
    kAnswer,
    kLabel,
    kRuleLabel,
    kFinish,
    kTokens,
    kColumnCount
  };
  enum Role {
    kRunIdRole = Qt::UserRole + 1,
    kPromptIdRole,
    kManualRole,  // bool: the label is a manual one
    kLabelRole,   // the effective label (also for columns other than kLabel)
    kSortRole,
  };

  explicit SessionResultsModel(QObject* parent = nullptr);

  // The runs whose answers are listed (in this order, each in dataset order) and the classifier
  // whose labels are shown and edited (empty: no labels, not editable).
  void setRuns(const std::vector<std::int64_t>& run_ids, const QString& classifier);
  const std::vector<std::int64_t>& runs() const { return run_ids_; }
  const QString& classifier() const { return classifier_; }
  // The classifier's declared labels plus every label in the table, sorted (for an editor).
  QStringList knownLabels() const;

  std::int64_t runIdAt(int row) const;
  std::int64_t promptIdAt(int row) const;
  int rowOf(std::int64_t run_id, std::int64_t prompt_id) const;  // -1 if absent

  // The visible columns as CSV (RFC 4180, header row), e.g. for "export table".
  static QString toCsv(const QAbstractItemModel& model);

  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

 public Q_SLOTS:
  void reload() override;

 Q_SIGNALS:
  // A label edit the store refused (e.g. the session is read-only).
  void editFailed(const QString& message);
  // A manual label was stored or cleared (label empty).
  void labelEdited(qint64 run_id, qint64 prompt_id, const QString& label);

 protected:
  void storeChanged() override { run_ids_.clear(); }
  int rows() const override { return static_cast<int>(table_.rows.size()); }
  int columns() const override { return kColumnCount; }
  QVariant cell(int row, int column, int role) const override;
  QString columnTitle(int column) const override;

 private:
  struct Row {
    std::int64_t run_id = 0;
    std::int64_t prompt_id = 0;
    std::size_t position = 0;
    QString run_name;
    QString prompt;
    QString answer;
    QString label;
    QString rule_label;
    bool manual = false;
    QString finish;
    int prompt_tokens = 0;
    int completion_tokens = 0;
  };

  // What reload() reads, replaced as a whole.
  struct Table {
    std::vector<Row> rows;
    QStringList declared_labels;
  };
  Table read(sessions::SessionStore& store) const;

  std::vector<std::int64_t> run_ids_;
  QString classifier_;
  Table table_;
};

// Filters a results table (source columns as SessionResultsModel's): a case-insensitive text
// that must occur in the prompt or the answer, an exact label ("" = any, unlabelledToken() =
// answers without a label) and a run (0 = any). Sorts numbers as numbers (kSortRole).
class ResultsFilterProxyModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit ResultsFilterProxyModel(QObject* parent = nullptr);

  static QString unlabelledToken() { return QStringLiteral("\x01unlabelled"); }
  const QString& textFilter() const { return text_; }
  const QString& labelFilter() const { return label_; }
  qint64 runFilter() const { return run_; }

 public Q_SLOTS:
  void setTextFilter(const QString& text);
  void setLabelFilter(const QString& label);
  void setRunFilter(qint64 run_id);

 protected:
  bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;

 private:
  QString text_;
  QString label_;
  qint64 run_ = 0;
};

}  // namespace mote::widgets
