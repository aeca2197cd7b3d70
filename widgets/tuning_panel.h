#pragma once
// The tuning panel: the tuned experts of a TuningDocument in a sortable table, with Load…,
// Save…, Remove selected, Clear, Undo and Redo, a summary line ("3 suppressed · 1 stimulated")
// and the last refusal or file error. Loading/saving uses the formats of tuning_export.h (tuning
// JSON, expert-list JSON, CSV). Double-clicking a row emits expertActivated (e.g. to highlight
// the expert on the heatmap).
#include <QWidget>

#include "widgets/models/tuning_document.h"

class QAction;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace mote::widgets {

class TuningTableModel;

class TuningPanel : public QWidget {
  Q_OBJECT

 public:
  explicit TuningPanel(TuningDocument* document, QWidget* parent = nullptr);

  TuningDocument* document() const { return document_; }
  TuningTableModel* model() const { return model_; }
  QTableView* tableView() const { return table_; }
  // The selected rows' experts (the view sorts through a proxy; these are source addresses).
  QVector<mote::ExpertAddress> selectedExperts() const;
  QString message() const;  // the last refusal/error shown, empty if none

  QAction* loadAction() const { return loadAction_; }
  QAction* saveAction() const { return saveAction_; }
  QAction* removeAction() const { return removeAction_; }
  QAction* clearAction() const { return clearAction_; }

 public Q_SLOTS:
  // File dialogs (then loadFile / saveFile).
  void openLoadDialog();
  void openSaveDialog();
  bool loadFile(const QString& path);
  bool saveFile(const QString& path);
  void removeSelected();
  void clearTuning();
  void selectExpert(const mote::ExpertAddress& address);
  void showMessage(const QString& message);

 Q_SIGNALS:
  void expertActivated(const mote::ExpertAddress& address);
  void fileLoaded(const QString& path);
  void fileSaved(const QString& path);

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void updateSummary();

  TuningDocument* document_;
  TuningTableModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QLabel* summary_;
  QLabel* message_;
  QAction* loadAction_;
  QAction* saveAction_;
  QAction* removeAction_;
  QAction* clearAction_;
  QString lastDirectory_;
};

}  // namespace mote::widgets
