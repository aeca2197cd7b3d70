#include "widgets/models/session_run_model.h"

#include <QBrush>
#include <QColor>
#include <exception>

namespace mote::widgets {
namespace {

QString statusText(sessions::RunStatus status) {
  switch (status) {
    case sessions::RunStatus::kPending:
      return SessionRunModel::tr("pending");
    case sessions::RunStatus::kRunning:
      return SessionRunModel::tr("running");
    case sessions::RunStatus::kFinished:
      return SessionRunModel::tr("finished");
    case sessions::RunStatus::kFailed:
      return SessionRunModel::tr("failed");
    case sessions::RunStatus::kCancelled:
      return SessionRunModel::tr("cancelled");
  }
  return {};
}

QString kindText(const sessions::RunConfig& c) {
  switch (c.kind) {
    case sessions::RunKind::kOriginal:
      return SessionRunModel::tr("original");
    case sessions::RunKind::kTuned:
      return SessionRunModel::tr("tuned");
    case sessions::RunKind::kRandomControl:
      return c.draw_index ? SessionRunModel::tr("random control #%1").arg(*c.draw_index)
                          : SessionRunModel::tr("random control");
  }
  return {};
}

QString tuningText(const mote::TuningSpec& t) {
  if (t.empty()) return SessionRunModel::tr("none");
  QStringList parts;
  if (!t.suppress.empty())
    parts << SessionRunModel::tr("%n suppressed", nullptr, static_cast<int>(t.suppress.size()));
  if (!t.stimulate.empty())
    parts << SessionRunModel::tr("%n stimulated", nullptr, static_cast<int>(t.stimulate.size()));
  return parts.join(QStringLiteral(", "));
}

}  // namespace

SessionRunModel::SessionRunModel(QObject* parent) : SessionTableModel(parent) {}

SessionRunModel::Row SessionRunModel::readRow(
    sessions::SessionStore& store, const sessions::RunInfo& info,
    const std::map<std::int64_t, sessions::DatasetInfo>& datasets) {
  Row row;
  row.info = info;
  row.answered = store.answer_count(info.id);
  if (const auto it = datasets.find(info.config.dataset_id); it != datasets.end()) {
    row.total = it->second.n_prompts;
    row.dataset = QString::fromStdString(it->second.name);
  }
  return row;
}

void SessionRunModel::reload() {
  reloadInto(rows_, [](sessions::SessionStore& store) {
    std::map<std::int64_t, sessions::DatasetInfo> datasets;
    for (auto& d : store.list_datasets()) datasets.emplace(d.id, d);
    std::vector<Row> rows;
    for (const auto& info : store.list_runs()) rows.push_back(readRow(store, info, datasets));
    return rows;
  });
}

void SessionRunModel::refreshRun(qint64 run_id) {
  const int r = rowOfRun(run_id);
  if (!store()) return;
  try {
    if (r < 0) {
      reload();  // a run created elsewhere
      return;
    }
    auto& row = rows_[static_cast<std::size_t>(r)];
    row.info = store()->run(run_id);
    row.answered = store()->answer_count(run_id);
  } catch (const std::exception& e) {
    Q_EMIT loadFailed(QString::fromStdString(e.what()));
    return;
  }
  emitRowChanged(r);
}

void SessionRunModel::setRunProgress(qint64 run_id, qulonglong done, qulonglong total) {
  const int r = rowOfRun(run_id);
  if (r < 0) return;
  auto& row = rows_[static_cast<std::size_t>(r)];
  row.answered = static_cast<std::size_t>(done);
  if (total > 0) row.total = static_cast<std::size_t>(total);
  row.info.status = sessions::RunStatus::kRunning;
  emitRowChanged(r);
}

std::int64_t SessionRunModel::runId(int row) const {
  if (row < 0 || row >= rows()) return 0;
  return rows_[static_cast<std::size_t>(row)].info.id;
}

int SessionRunModel::rowOfRun(std::int64_t run_id) const {
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].info.id == run_id) return static_cast<int>(i);
  return -1;
}

QVariant SessionRunModel::cell(int r, int column, int role) const {
  const auto& row = rows_[static_cast<std::size_t>(r)];
  const auto& c = row.info.config;
  const int progress =
      row.total > 0 ? static_cast<int>(100 * std::min(row.answered, row.total) / row.total) : 0;
  switch (role) {
    case Qt::DisplayRole:
      switch (column) {
        case kName:
          return QString::fromStdString(c.name);
        case kKind:
          return kindText(c);
        case kDataset:
          return row.dataset;
        case kStatus:
          return statusText(row.info.status);
        case kAnswered:
          return QStringLiteral("%1 / %2").arg(row.answered).arg(row.total);
        case kModel:
          return QString::fromStdString(c.model_id);
        case kTuning:
          return tuningText(c.tuning);
        case kSeed:
          return static_cast<qlonglong>(c.seed);
        case kCreated:
          return QString::fromStdString(row.info.created_at);
        default:
          return {};
      }
    case kSortRole:
      switch (column) {
        case kAnswered:
          return static_cast<qulonglong>(row.answered);
        case kStatus:
          return static_cast<int>(row.info.status);
        case kSeed:
          return static_cast<qlonglong>(c.seed);
        default:
          return cell(r, column, Qt::DisplayRole);
      }
    case Qt::ToolTipRole:
      if (column == kTuning && !c.tuning.empty())
        return QString::fromStdString(c.tuning.to_json().dump());
      if (column == kName)
        return tr("Run %1 · sampling %2 · max tokens %3")
            .arg(row.info.id)
            .arg(QString::fromStdString(c.sampling.dump()))
            .arg(c.max_tokens);
      return {};
    case Qt::ForegroundRole:
      if (column == kStatus && row.info.status == sessions::RunStatus::kFailed)
        return QBrush(QColor(190, 30, 30));
      return {};
    case Qt::TextAlignmentRole:
      if (column == kAnswered || column == kSeed) return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case kRunIdRole:
      return static_cast<qlonglong>(row.info.id);
    case kStatusRole:
      return static_cast<int>(row.info.status);
    case kAnsweredRole:
      return static_cast<qulonglong>(row.answered);
    case kTotalRole:
      return static_cast<qulonglong>(row.total);
    case kProgressRole:
      return progress;
    default:
      return {};
  }
}

QString SessionRunModel::columnTitle(int column) const {
  switch (column) {
    case kName:
      return tr("Run");
    case kKind:
      return tr("Kind");
    case kDataset:
      return tr("Dataset");
    case kStatus:
      return tr("Status");
    case kAnswered:
      return tr("Answered");
    case kModel:
      return tr("Model");
    case kTuning:
      return tr("Tuning");
    case kSeed:
      return tr("Seed");
    case kCreated:
      return tr("Created");
    default:
      return {};
  }
}

}  // namespace mote::widgets
