#pragma once
// The Results dock: the answers of a run (SessionResultsModel) behind a ResultsFilterProxyModel,
// with a text filter (prompt or answer), a label filter and editable labels (a manual label for
// the chosen classifier; empty clears it). Double-clicking a row asks for that prompt in the chat
// (promptActivated), which the main window sends with the run's settings.
#include <QWidget>
#include <cstdint>

#include "sessions/session_store.h"

class QComboBox;
class QLineEdit;
class QTableView;

namespace mote::widgets {
class SessionResultsModel;
class ResultsFilterProxyModel;
}  // namespace mote::widgets

namespace mote::widgets {

class ResultsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ResultsPanel(QWidget* parent = nullptr);

  void setStore(sessions::SessionStore* store);
  widgets::SessionResultsModel* model() const { return model_; }
  widgets::ResultsFilterProxyModel* proxy() const { return proxy_; }
  QTableView* table() const { return table_; }
  QLineEdit* textFilter() const { return text_; }
  QComboBox* labelFilter() const { return label_; }

 public Q_SLOTS:
  // Shows the answers of `run_id` labelled by `classifier` ("" keeps the current choice).
  void showRun(qint64 run_id, const QString& classifier = {});
  void reload();
  void exportCsv();

 Q_SIGNALS:
  void promptActivated(qint64 run_id, qint64 prompt_id);
  void failed(const QString& message);

 private:
  void fillRuns();
  void fillClassifiers();
  void fillLabels();
  void apply();

  sessions::SessionStore* store_ = nullptr;
  widgets::SessionResultsModel* model_;
  widgets::ResultsFilterProxyModel* proxy_;
  QTableView* table_;
  QComboBox* run_;
  QComboBox* classifier_;
  QLineEdit* text_;
  QComboBox* label_;
};

}  // namespace mote::widgets
