#pragma once
// The main window's permanent status bar fields: the last problem (red, with Reconnect when the
// engine failed or was lost), the tuning's size, the model and its geometry, the engine state.
// They follow the engine connection and the tuning document by themselves.
#include <QObject>
#include <QString>

#include "app/workbench/engine_connection.h"

class QLabel;
class QPushButton;
class QStatusBar;

namespace mote::widgets {
class TuningDocument;
}

namespace mote::workbench {

class StatusIndicators : public QObject {
  Q_OBJECT

 public:
  StatusIndicators(QStatusBar* bar, EngineConnection* connection, widgets::TuningDocument* tuning);

 public Q_SLOTS:
  // `text` is shown, `details` (the whole message) is its tooltip.
  void showProblem(const QString& text, const QString& details = {});
  void clearProblem();

 private:
  void onStateChanged(EngineConnection::State state);
  void onConnected(const mote::ModelInfo& model);
  void updateTuning();

  EngineConnection* connection_;
  widgets::TuningDocument* tuning_;
  QLabel* model_;
  QLabel* engine_;
  QLabel* tuning_label_;
  QLabel* problem_;
  QPushButton* reconnect_;
};

}  // namespace mote::workbench
