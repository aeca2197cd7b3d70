#pragma once
// Choose the engine: a local model directory (the workbench starts `mote-engine serve` on it) or
// a remote engine URL with its API key.
#include <QDialog>

#include "app/workbench/engine_connection.h"

class QLineEdit;
class QRadioButton;
class QLabel;

namespace mote::workbench {

class ConnectionDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ConnectionDialog(const ConnectionTarget& current, QWidget* parent = nullptr);
  ConnectionTarget target() const;

 private:
  void updateEnabled();
  void validateAndAccept();

  QRadioButton* local_ = nullptr;
  QRadioButton* remote_ = nullptr;
  QLineEdit* model_dir_ = nullptr;
  QLineEdit* url_ = nullptr;
  QLineEdit* api_key_ = nullptr;
  QLabel* problem_ = nullptr;
};

}  // namespace mote::workbench
