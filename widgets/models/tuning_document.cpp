#include "widgets/models/tuning_document.h"

#include <QAction>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QUndoCommand>
#include <QUndoStack>
#include <algorithm>
#include <limits>
#include <set>

#include "sessions/session_error.h"
#include "widgets/models/tuning_export.h"

namespace mote::widgets {

using mote::ExpertAddress;

QString expertStateName(ExpertState state) {
  switch (state) {
    case ExpertState::kSuppressed:
      return QStringLiteral("suppressed");
    case ExpertState::kStimulated:
      return QStringLiteral("stimulated");
    case ExpertState::kNone:
      break;
  }
  return QStringLiteral("none");
}

std::optional<ExpertState> expertStateFromName(const QString& name) {
  const QString key = name.trimmed().toLower();
  if (key == QLatin1String("none") || key.isEmpty()) return ExpertState::kNone;
  if (key == QLatin1String("suppressed") || key == QLatin1String("suppress"))
    return ExpertState::kSuppressed;
  if (key == QLatin1String("stimulated") || key == QLatin1String("stimulate"))
    return ExpertState::kStimulated;
  return std::nullopt;
}

QString describeAddress(const ExpertAddress& address) {
  return QStringLiteral("[%1, %2]").arg(address.layer).arg(address.expert);
}

// --- undo commands -------------------------------------------------------------------------

// Sets a list of experts to new states; undo restores each one's previous state.
class SetExpertStatesCommand : public QUndoCommand {
 public:
  using Changes = std::vector<std::pair<ExpertAddress, ExpertState>>;
  SetExpertStatesCommand(TuningDocument* document, Changes before, Changes after,
                         const QString& text)
      : QUndoCommand(text),
        document_(document),
        before_(std::move(before)),
        after_(std::move(after)) {}
  void redo() override { document_->applyStates(after_); }
  void undo() override { document_->applyStates(before_); }

 private:
  TuningDocument* document_;
  Changes before_, after_;
};

// Replaces the whole tuning (load, clear).
class ReplaceTuningCommand : public QUndoCommand {
 public:
  ReplaceTuningCommand(TuningDocument* document, TuningDocument::StateMap before,
                       TuningDocument::StateMap after, const QString& text)
      : QUndoCommand(text),
        document_(document),
        before_(std::move(before)),
        after_(std::move(after)) {}
  void redo() override { document_->applyStateMap(after_); }
  void undo() override { document_->applyStateMap(before_); }

 private:
  TuningDocument* document_;
  TuningDocument::StateMap before_, after_;
};

// --- TuningDocument ------------------------------------------------------------------------

TuningDocument::TuningDocument(QObject* parent)
    : QObject(parent), undoStack_(new QUndoStack(this)) {}

TuningDocument::TuningDocument(const mote::ModelGeometry& geometry, QObject* parent)
    : TuningDocument(parent) {
  setModelGeometry(geometry);
}

TuningDocument::~TuningDocument() = default;

mote::TuningSpec TuningDocument::spec() const {
  return specOf(states_);
}

mote::TuningSpec TuningDocument::specOf(const StateMap& states) {
  mote::TuningSpec spec;
  for (const auto& [address, state] : states) {
    if (state == ExpertState::kSuppressed) spec.suppress.push_back(address);
    if (state == ExpertState::kStimulated) spec.stimulate.push_back(address);
  }
  return spec;  // std::map order = (layer, expert) order
}

ExpertState TuningDocument::state(const ExpertAddress& address) const {
  auto it = states_.find(address);
  return it == states_.end() ? ExpertState::kNone : it->second;
}

int TuningDocument::suppressedCount() const {
  return static_cast<int>(std::count_if(states_.begin(), states_.end(), [](const auto& e) {
    return e.second == ExpertState::kSuppressed;
  }));
}

int TuningDocument::stimulatedCount() const {
  return static_cast<int>(std::count_if(states_.begin(), states_.end(), [](const auto& e) {
    return e.second == ExpertState::kStimulated;
  }));
}

int TuningDocument::stimulatedCount(int layer) const {
  int count = 0;
  for (auto it = states_.lower_bound({layer, std::numeric_limits<int>::min()});
       it != states_.end() && it->first.layer == layer; ++it) {
    if (it->second == ExpertState::kStimulated) ++count;
  }
  return count;
}

QString TuningDocument::checkStateMap(const StateMap& states) const {
  // The project's one rule set (protocol/tuning_spec.h), so the workbench refuses a tuning with
  // the words the server's 400 and the CLI use.
  try {
    specOf(states).validate(geometry_);
  } catch (const mote::Error& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

QString TuningDocument::checkStates(const QVector<ExpertAddress>& addresses,
                                    ExpertState state) const {
  // The tuning as it would be after the change, checked like any other tuning.
  StateMap next = states_;
  for (const auto& address : addresses) {
    if (state == ExpertState::kNone && geometry_.contains(address))
      next.erase(address);
    else
      next[address] = state;  // an address out of range stays in, to be reported
  }
  return checkStateMap(next);
}

QAction* TuningDocument::createUndoAction(QObject* parent) const {
  QAction* action = undoStack_->createUndoAction(parent, tr("&Undo"));
  action->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Z)});
  return action;
}

QAction* TuningDocument::createRedoAction(QObject* parent) const {
  QAction* action = undoStack_->createRedoAction(parent, tr("&Redo"));
  action->setShortcuts(
      {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  return action;
}

bool TuningDocument::isModified() const {
  return !undoStack_->isClean();
}

bool TuningDocument::setModelGeometry(const mote::ModelGeometry& geometry) {
  try {
    geometry.validate();
  } catch (const mote::Error& e) {
    Q_EMIT refused(QString::fromStdString(e.what()));
    return false;
  }
  QVector<ExpertAddress> previous;
  for (const auto& entry : states_) previous.push_back(entry.first);
  geometry_ = geometry;
  states_.clear();
  undoStack_->clear();
  undoStack_->setClean();
  Q_EMIT geometryChanged();
  if (!previous.isEmpty()) Q_EMIT expertsChanged(previous);
  Q_EMIT changed();
  return true;
}

bool TuningDocument::adoptModelGeometry(const mote::ModelGeometry& geometry) {
  if (geometry_.moe_layers == geometry.moe_layers && geometry_.n_experts == geometry.n_experts &&
      geometry_.top_k == geometry.top_k)
    return true;
  return setModelGeometry(geometry);
}

bool TuningDocument::setState(const ExpertAddress& address, ExpertState state) {
  return setStates({address}, state);
}

bool TuningDocument::setStates(const QVector<ExpertAddress>& addresses, ExpertState state) {
  if (const QString problem = checkStates(addresses, state); !problem.isEmpty()) {
    Q_EMIT refused(problem);
    return false;
  }
  SetExpertStatesCommand::Changes before, after;
  std::set<ExpertAddress> seen;
  for (const auto& address : addresses) {
    if (!seen.insert(address).second) continue;
    const ExpertState old = this->state(address);
    if (old == state) continue;
    before.emplace_back(address, old);
    after.emplace_back(address, state);
  }
  if (after.empty()) return true;  // nothing to do: no undo entry
  QString text;
  const QString verb = state == ExpertState::kSuppressed   ? tr("Suppress")
                       : state == ExpertState::kStimulated ? tr("Stimulate")
                                                           : tr("Clear");
  if (after.size() == 1) {
    text = tr("%1 expert %2").arg(verb, describeAddress(after.front().first));
  } else {
    text = tr("%1 %2 experts").arg(verb).arg(after.size());
  }
  undoStack_->push(new SetExpertStatesCommand(this, std::move(before), std::move(after), text));
  return true;
}

ExpertState TuningDocument::cycle(const ExpertAddress& address) {
  if (!geometry_.contains(address)) {
    Q_EMIT refused(tr("Expert %1 is not a routed expert of a MoE layer of this model.")
                       .arg(describeAddress(address)));
    return state(address);
  }
  switch (state(address)) {
    case ExpertState::kNone:
      setState(address, ExpertState::kSuppressed);
      break;
    case ExpertState::kSuppressed: {
      StateMap next = states_;
      next[address] = ExpertState::kStimulated;
      if (const QString problem = checkStateMap(next); !problem.isEmpty()) {
        Q_EMIT refused(tr("Expert %1 not stimulated: %2. The expert is now untuned; clear a "
                          "stimulated expert of layer %3 to stimulate it.")
                           .arg(describeAddress(address), problem)
                           .arg(address.layer));
        setState(address, ExpertState::kNone);
      } else {
        setState(address, ExpertState::kStimulated);
      }
      break;
    }
    case ExpertState::kStimulated:
      setState(address, ExpertState::kNone);
      break;
  }
  return state(address);
}

QString TuningDocument::checkSpec(const mote::TuningSpec& spec) const {
  try {
    spec.validate(geometry_);
  } catch (const mote::Error& e) {
    return QString::fromStdString(e.what());
  }
  return checkStateMap(stateMapOf(spec));
}

TuningDocument::StateMap TuningDocument::stateMapOf(const mote::TuningSpec& spec) {
  StateMap states;
  for (const auto& a : spec.suppress) states[a] = ExpertState::kSuppressed;
  for (const auto& a : spec.stimulate) states[a] = ExpertState::kStimulated;
  return states;
}

bool TuningDocument::load(const mote::TuningSpec& spec) {
  if (const QString problem = checkSpec(spec); !problem.isEmpty()) {
    Q_EMIT refused(problem);
    return false;
  }
  StateMap next = stateMapOf(spec);
  if (next == states_) return true;
  undoStack_->push(new ReplaceTuningCommand(this, states_, std::move(next), tr("Load tuning")));
  return true;
}

void TuningDocument::clear() {
  if (states_.empty()) return;
  undoStack_->push(new ReplaceTuningCommand(this, states_, {}, tr("Clear tuning")));
}

void TuningDocument::undo() {
  undoStack_->undo();
}
void TuningDocument::redo() {
  undoStack_->redo();
}

bool TuningDocument::loadFile(const QString& path, QString* error) {
  auto fail = [&](const QString& message) {
    if (error) *error = message;
    Q_EMIT refused(message);
    return false;
  };
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    return fail(tr("Cannot read %1: %2").arg(path, file.errorString()));
  }
  const QString name = QFileInfo(path).fileName();
  mote::TuningSpec spec;
  try {
    spec = parseTuningBytes(file.readAll(), name, geometry_);
  } catch (const mote::Error& e) {
    return fail(QString::fromStdString(e.what()));
  }
  if (const QString problem = checkSpec(spec); !problem.isEmpty()) {
    return fail(name + QStringLiteral(": ") + problem);
  }
  load(spec);
  undoStack_->setClean();
  return true;
}

bool TuningDocument::saveFile(const QString& path, QString* error) {
  QSaveFile file(path);
  const QByteArray bytes = serializeTuning(spec(), geometry_, tuningFormatForPath(path));
  if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
    const QString message = tr("Cannot write %1: %2").arg(path, file.errorString());
    if (error) *error = message;
    Q_EMIT refused(message);
    return false;
  }
  undoStack_->setClean();
  return true;
}

void TuningDocument::applyStates(
    const std::vector<std::pair<ExpertAddress, ExpertState>>& changes) {
  QVector<ExpertAddress> addresses;
  addresses.reserve(static_cast<qsizetype>(changes.size()));
  for (const auto& [address, state] : changes) {
    if (state == ExpertState::kNone) {
      states_.erase(address);
    } else {
      states_[address] = state;
    }
    addresses.push_back(address);
  }
  Q_EMIT expertsChanged(addresses);
  Q_EMIT changed();
}

void TuningDocument::applyStateMap(const StateMap& states) {
  std::set<ExpertAddress> touched;
  for (const auto& entry : states_) touched.insert(entry.first);
  for (const auto& entry : states) touched.insert(entry.first);
  QVector<ExpertAddress> addresses;
  for (const auto& address : touched) {
    auto a = states_.find(address);
    auto b = states.find(address);
    const ExpertState before = a == states_.end() ? ExpertState::kNone : a->second;
    const ExpertState after = b == states.end() ? ExpertState::kNone : b->second;
    if (before != after) addresses.push_back(address);
  }
  states_ = states;
  Q_EMIT expertsChanged(addresses);
  Q_EMIT changed();
}

}  // namespace mote::widgets
