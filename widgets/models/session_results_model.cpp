#include "widgets/models/session_results_model.h"

#include <QFont>
#include <QSet>
#include <exception>
#include <map>

#include "sessions/csv_writer.h"

namespace mote::widgets {
namespace {

// One line of a long text for a table cell (the tooltip has the whole text).
QString elide(const QString& text, int max_chars = 200) {
  QString line = text.simplified();
  if (line.size() > max_chars) line = line.left(max_chars - 1) + QChar(0x2026);
  return line;
}

}  // namespace

SessionResultsModel::SessionResultsModel(QObject* parent) : SessionTableModel(parent) {}

void SessionResultsModel::setRuns(const std::vector<std::int64_t>& run_ids,
                                  const QString& classifier) {
  run_ids_ = run_ids;
  classifier_ = classifier;
  reload();
}

void SessionResultsModel::reload() {
  reloadInto(table_, [this](sessions::SessionStore& store) { return read(store); });
}

SessionResultsModel::Table SessionResultsModel::read(sessions::SessionStore& store) const {
  Table table;
  const std::string classifier = classifier_.toStdString();
  if (!classifier.empty()) {
    if (const auto rules = store.load_classifier(classifier);
        rules && rules->contains("labels") && (*rules)["labels"].is_array())
      for (const auto& l : (*rules)["labels"])
        if (l.is_string()) table.declared_labels << QString::fromStdString(l.get<std::string>());
  }
  std::map<std::int64_t, std::map<std::int64_t, QString>> prompt_texts;  // dataset -> id
  for (const std::int64_t run_id : run_ids_) {
    const auto info = store.run(run_id);
    auto& texts = prompt_texts[info.config.dataset_id];
    if (texts.empty())
      for (const auto& p : store.prompts(info.config.dataset_id))
        texts.emplace(p.id, QString::fromStdString(p.prompt.text));
    std::map<std::int64_t, sessions::EffectiveLabel> labels;
    if (!classifier.empty())
      for (auto& l : store.labels(run_id, classifier)) labels.emplace(l.prompt_id, l);
    const QString run_name = QString::fromStdString(info.config.name);
    for (const auto& a : store.answers(run_id, false)) {
      Row row;
      row.run_id = run_id;
      row.prompt_id = a.prompt_id;
      row.position = a.position;
      row.run_name = run_name;
      if (const auto t = texts.find(a.prompt_id); t != texts.end()) row.prompt = t->second;
      row.answer = QString::fromStdString(a.answer.text);
      if (const auto l = labels.find(a.prompt_id); l != labels.end()) {
        row.label = QString::fromStdString(l->second.label);
        row.rule_label = QString::fromStdString(l->second.rule_label);
        row.manual = l->second.manual;
      }
      row.finish = QString::fromStdString(a.answer.finish_reason);
      row.prompt_tokens = a.answer.prompt_tokens;
      row.completion_tokens = a.answer.completion_tokens;
      table.rows.push_back(std::move(row));
    }
  }
  return table;
}

QStringList SessionResultsModel::knownLabels() const {
  QSet<QString> set(table_.declared_labels.begin(), table_.declared_labels.end());
  for (const auto& r : table_.rows) {
    if (!r.label.isEmpty()) set.insert(r.label);
    if (!r.rule_label.isEmpty()) set.insert(r.rule_label);
  }
  QStringList list(set.begin(), set.end());
  list.sort();
  return list;
}

std::int64_t SessionResultsModel::runIdAt(int row) const {
  return row >= 0 && row < rows() ? table_.rows[static_cast<std::size_t>(row)].run_id : 0;
}

std::int64_t SessionResultsModel::promptIdAt(int row) const {
  return row >= 0 && row < rows() ? table_.rows[static_cast<std::size_t>(row)].prompt_id : 0;
}

int SessionResultsModel::rowOf(std::int64_t run_id, std::int64_t prompt_id) const {
  const auto& rows = table_.rows;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].run_id == run_id && rows[i].prompt_id == prompt_id) return static_cast<int>(i);
  return -1;
}

QVariant SessionResultsModel::cell(int row, int column, int role) const {
  const auto& r = table_.rows[static_cast<std::size_t>(row)];
  switch (role) {
    case Qt::DisplayRole:
      switch (column) {
        case kRun:
          return r.run_name;
        case kPosition:
          return static_cast<qulonglong>(r.position + 1);
        case kPrompt:
          return elide(r.prompt);
        case kAnswer:
          return elide(r.answer);
        case kLabel:
          return r.label;
        case kRuleLabel:
          return r.rule_label;
        case kFinish:
          return r.finish;
        case kTokens:
          return QStringLiteral("%1 + %2").arg(r.prompt_tokens).arg(r.completion_tokens);
        default:
          return {};
      }
    case Qt::EditRole:
      if (column == kLabel) return r.manual ? r.label : QString();
      if (column == kPrompt) return r.prompt;
      if (column == kAnswer) return r.answer;
      return cell(row, column, Qt::DisplayRole);
    case kSortRole:
      switch (column) {
        case kPosition:
          return static_cast<qulonglong>(r.position);
        case kTokens:
          return r.prompt_tokens + r.completion_tokens;
        case kPrompt:
          return r.prompt;
        case kAnswer:
          return r.answer;
        default:
          return cell(row, column, Qt::DisplayRole);
      }
    case Qt::ToolTipRole:
      if (column == kPrompt) return r.prompt;
      if (column == kAnswer) return r.answer;
      if (column == kLabel && r.manual)
        return r.rule_label.isEmpty() ? tr("Manual label")
                                      : tr("Manual label (the rules said %1)").arg(r.rule_label);
      return {};
    case Qt::FontRole:
      if (column == kLabel && r.manual) {
        QFont font;
        font.setBold(true);
        return font;
      }
      return {};
    case Qt::TextAlignmentRole:
      if (column == kPosition || column == kTokens) return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case kRunIdRole:
      return static_cast<qlonglong>(r.run_id);
    case kPromptIdRole:
      return static_cast<qlonglong>(r.prompt_id);
    case kManualRole:
      return r.manual;
    case kLabelRole:
      return r.label;
    default:
      return {};
  }
}

Qt::ItemFlags SessionResultsModel::flags(const QModelIndex& index) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
    return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
  if (index.column() == kLabel && store() && !classifier_.isEmpty()) f |= Qt::ItemIsEditable;
  return f;
}

bool SessionResultsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || index.column() != kLabel || !(flags(index) & Qt::ItemIsEditable))
    return false;
  auto& r = table_.rows[static_cast<std::size_t>(index.row())];
  const QString label = value.toString().trimmed();
  try {
    if (label.isEmpty()) {
      if (!r.manual) return false;  // nothing to clear
      store()->clear_manual_label(r.run_id, r.prompt_id, classifier_.toStdString());
      r.manual = false;
      r.label = r.rule_label;
    } else {
      if (r.manual && r.label == label) return false;
      store()->set_manual_label(r.run_id, r.prompt_id, classifier_.toStdString(),
                                label.toStdString());
      r.manual = true;
      r.label = label;
    }
  } catch (const std::exception& e) {
    Q_EMIT editFailed(QString::fromStdString(e.what()));
    return false;
  }
  Q_EMIT dataChanged(this->index(index.row(), kLabel), this->index(index.row(), kLabel));
  Q_EMIT labelEdited(r.run_id, r.prompt_id, label);
  return true;
}

QString SessionResultsModel::columnTitle(int column) const {
  switch (column) {
    case kRun:
      return tr("Run");
    case kPosition:
      return tr("#");
    case kPrompt:
      return tr("Prompt");
    case kAnswer:
      return tr("Answer");
    case kLabel:
      return tr("Label");
    case kRuleLabel:
      return tr("Rule label");
    case kFinish:
      return tr("Finish");
    case kTokens:
      return tr("Tokens");
    default:
      return {};
  }
}

QString SessionResultsModel::toCsv(const QAbstractItemModel& model) {
  std::string out;
  const int columns = model.columnCount();
  for (int c = 0; c < columns; ++c) {
    if (c) out += ',';
    out += sessions::csv_escape(model.headerData(c, Qt::Horizontal).toString().toStdString());
  }
  out += '\n';
  for (int r = 0; r < model.rowCount(); ++r) {
    for (int c = 0; c < columns; ++c) {
      if (c) out += ',';
      // Full texts (EditRole) for prompt and answer columns, shown text otherwise.
      const QModelIndex idx = model.index(r, c);
      QVariant v = model.data(idx, Qt::ToolTipRole);
      if (!v.isValid() || v.toString().isEmpty() || c == kLabel) v = model.data(idx);
      out += sessions::csv_escape(v.toString().toStdString());
    }
    out += '\n';
  }
  return QString::fromStdString(out);
}

ResultsFilterProxyModel::ResultsFilterProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(SessionResultsModel::kSortRole);
  setSortCaseSensitivity(Qt::CaseInsensitive);
  setDynamicSortFilter(true);
}

void ResultsFilterProxyModel::setTextFilter(const QString& text) {
  if (text == text_) return;
  text_ = text;
  invalidateRowsFilter();
}

void ResultsFilterProxyModel::setLabelFilter(const QString& label) {
  if (label == label_) return;
  label_ = label;
  invalidateRowsFilter();
}

void ResultsFilterProxyModel::setRunFilter(qint64 run_id) {
  if (run_id == run_) return;
  run_ = run_id;
  invalidateRowsFilter();
}

bool ResultsFilterProxyModel::filterAcceptsRow(int source_row,
                                               const QModelIndex& source_parent) const {
  const QAbstractItemModel* m = sourceModel();
  if (!m) return false;
  const QModelIndex any = m->index(source_row, 0, source_parent);
  if (run_ != 0 && m->data(any, SessionResultsModel::kRunIdRole).toLongLong() != run_) return false;
  if (!label_.isEmpty()) {
    const QString label = m->data(any, SessionResultsModel::kLabelRole).toString();
    if (label_ == unlabelledToken() ? !label.isEmpty() : label != label_) return false;
  }
  if (!text_.isEmpty()) {
    const QString prompt =
        m->data(m->index(source_row, SessionResultsModel::kPrompt, source_parent), Qt::EditRole)
            .toString();
    const QString answer =
        m->data(m->index(source_row, SessionResultsModel::kAnswer, source_parent), Qt::EditRole)
            .toString();
    if (!prompt.contains(text_, Qt::CaseInsensitive) &&
        !answer.contains(text_, Qt::CaseInsensitive))
      return false;
  }
  return true;
}

}  // namespace mote::widgets
