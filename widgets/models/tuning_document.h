#pragma once
// The tuning the user is editing: which experts of the current model are suppressed or
// stimulated, with undo/redo. The GUI's single source of truth for "the tuning": heatmap clicks,
// the tuning table and file loads all edit it through the slots below, and every request to the
// engine takes `spec()` from it.
//
// Rules (the engine's, enforced here so an invalid tuning is never sent): an address must be a
// routed expert of a MoE layer of `modelGeometry()`, an expert is in at most one list, and a
// layer has at most `top_k` stimulated experts. An edit that would break a rule is refused as a
// whole: nothing changes and `refused(message)` says why.
#include <QObject>
#include <QString>
#include <QVector>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

class QAction;
class QUndoStack;

namespace mote::widgets {

enum class ExpertState { kNone = 0, kSuppressed = 1, kStimulated = 2 };

// "none", "suppressed", "stimulated".
QString expertStateName(ExpertState state);
// Inverse of expertStateName (also accepts "suppress"/"stimulate"); nullopt if unknown.
std::optional<ExpertState> expertStateFromName(const QString& name);
// "[layer, expert]".
QString describeAddress(const mote::ExpertAddress& address);

class SetExpertStatesCommand;
class ReplaceTuningCommand;

class TuningDocument : public QObject {
  Q_OBJECT

 public:
  using StateMap = std::map<mote::ExpertAddress, ExpertState>;  // only tuned experts

  explicit TuningDocument(QObject* parent = nullptr);
  TuningDocument(const mote::ModelGeometry& geometry, QObject* parent = nullptr);
  ~TuningDocument() override;

  const mote::ModelGeometry& modelGeometry() const { return geometry_; }
  // The tuning as the engine takes it; both lists sorted by (layer, expert).
  mote::TuningSpec spec() const;
  ExpertState state(const mote::ExpertAddress& address) const;
  const StateMap& states() const { return states_; }
  int suppressedCount() const;
  int stimulatedCount() const;
  int stimulatedCount(int layer) const;
  bool empty() const { return states_.empty(); }

  // Empty if setting all `addresses` to `state` is allowed, else the reason (as refused() says).
  QString checkStates(const QVector<mote::ExpertAddress>& addresses, ExpertState state) const;

  // Every edit below is one undoable command on this stack (Ctrl+Z / Ctrl+Shift+Z).
  QUndoStack* undoStack() const { return undoStack_; }
  // Undo/redo actions with the standard shortcuts (Ctrl+Z; Ctrl+Shift+Z and Ctrl+Y), enabled
  // and labelled by the stack; for an Edit menu or tool bar.
  QAction* createUndoAction(QObject* parent) const;
  QAction* createRedoAction(QObject* parent) const;
  // False after the last save/load (QUndoStack's clean state).
  bool isModified() const;

  // Reads a tuning file (tuning JSON, expert-list JSON or CSV; see tuning_export.h) and loads
  // it as one undoable command. On failure returns false, sets *error and emits refused().
  bool loadFile(const QString& path, QString* error = nullptr);
  // Writes the tuning; the format follows the file name (tuningFormatForPath). Marks the
  // document unmodified.
  bool saveFile(const QString& path, QString* error = nullptr);

 public Q_SLOTS:
  // A new model: clears the tuning and the undo history (not undoable). Returns false (and
  // emits refused) for an invalid geometry.
  bool setModelGeometry(const mote::ModelGeometry& geometry);
  // The model served now: another geometry resets the tuning as setModelGeometry does (addresses
  // of another model mean nothing here); the same layers, experts and top-k keep it (the same
  // model reconnected). False if the geometry was refused.
  bool adoptModelGeometry(const mote::ModelGeometry& geometry);
  bool setState(const mote::ExpertAddress& address, ExpertState state);
  // One command for many experts (a rectangle on the heatmap, "remove selected" in the table).
  bool setStates(const QVector<mote::ExpertAddress>& addresses, ExpertState state);
  // Click cycle none -> suppressed -> stimulated -> none. If the layer already has top_k
  // stimulated experts the stimulate step is refused (refused() explains) and the expert goes
  // to none instead, so repeated clicks never get stuck. Returns the new state.
  ExpertState cycle(const mote::ExpertAddress& address);
  // Replaces the whole tuning (validated against the geometry and the stimulate limit).
  bool load(const mote::TuningSpec& spec);
  void clear();
  void undo();
  void redo();

 Q_SIGNALS:
  // After any change of the tuning, including undo/redo and a geometry change.
  void changed();
  // The experts whose state changed (emitted before changed()).
  void expertsChanged(const QVector<mote::ExpertAddress>& addresses);
  void geometryChanged();
  // An edit was refused or a file could not be read/written; the message names the address,
  // layer or file.
  void refused(const QString& message);

 private:
  friend class SetExpertStatesCommand;
  friend class ReplaceTuningCommand;
  // Applied by the commands (no validation, no undo entry).
  void applyStates(const std::vector<std::pair<mote::ExpertAddress, ExpertState>>& changes);
  void applyStateMap(const StateMap& states);
  QString checkStateMap(const StateMap& states) const;
  QString checkSpec(const mote::TuningSpec& spec) const;
  static StateMap stateMapOf(const mote::TuningSpec& spec);
  static mote::TuningSpec specOf(const StateMap& states);

  mote::ModelGeometry geometry_;
  StateMap states_;
  QUndoStack* undoStack_;
};

}  // namespace mote::widgets

Q_DECLARE_METATYPE(mote::ExpertAddress)
Q_DECLARE_METATYPE(mote::widgets::ExpertState)
