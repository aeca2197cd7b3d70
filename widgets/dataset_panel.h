#pragma once
// The Datasets dock: the session's datasets and a preview of the selected one's prompts; adds a
// built-in dataset, imports CSV (prompt column by name) or JSON Lines (prompt field), or expands
// a template edited here (a template line with {placeholders}, then one line of comma-separated
// values per placeholder) with a live prompt count (sessions/dataset.h).
#include <QWidget>
#include <cstdint>

#include "sessions/dataset.h"
#include "sessions/session_store.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableView;

namespace mote::widgets {
class SessionDatasetModel;
class DatasetPromptModel;
}  // namespace mote::widgets

namespace mote::widgets {

class DatasetPanel : public QWidget {
  Q_OBJECT
 public:
  explicit DatasetPanel(QWidget* parent = nullptr);

  void setStore(sessions::SessionStore* store);
  widgets::SessionDatasetModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  // The selected dataset (0 if none).
  std::int64_t selectedDataset() const;
  void selectDataset(std::int64_t dataset_id);

  // The editor's template, as expand_template would see it (sessions::template_from_lines: throws
  // SessionError naming the line or placeholder when it cannot be read), and the prompt count it
  // gives (-1 with `error` set; the form shows the error in red and disables "Add dataset").
  sessions::PromptTemplate editedTemplate() const;
  int templatePromptCount(QString* error = nullptr) const;
  QTabWidget* tabs() const { return tabs_; }
  QLineEdit* templateEdit() const { return template_; }
  QPlainTextEdit* valuesEdit() const { return values_; }

 public Q_SLOTS:
  // Each returns the new dataset's id (0 and failed() on error).
  qint64 addBuiltin(const QString& name);
  qint64 importCsv(const QString& path, const QString& column);
  qint64 importJsonl(const QString& path, const QString& field);
  qint64 addTemplateDataset();

 Q_SIGNALS:
  void datasetsChanged();
  void failed(const QString& message);
  void selectionChanged(qint64 dataset_id);

 private:
  qint64 store(const sessions::Dataset& dataset);
  void updateCount();
  void updatePreview();
  void chooseCsv();
  void chooseJsonl();

  sessions::SessionStore* store_ = nullptr;
  widgets::SessionDatasetModel* model_;
  widgets::DatasetPromptModel* prompts_;
  QTableView* table_;
  QTableView* preview_;
  QTabWidget* tabs_;
  QComboBox* builtin_;
  QLineEdit* name_;
  QLineEdit* template_;
  QPlainTextEdit* values_;
  QLabel* count_;
  QPushButton* add_template_;
};

}  // namespace mote::widgets
