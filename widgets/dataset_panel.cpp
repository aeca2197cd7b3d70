#include "widgets/dataset_panel.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include "sessions/dataset_import.h"
#include "sessions/resources.h"
#include "sessions/session_error.h"
#include "sessions/template_values.h"
#include "widgets/models/dataset_prompt_model.h"
#include "widgets/models/session_dataset_model.h"

namespace mote::widgets {

namespace {
// The template's placeholders for the form's hint (none while the template cannot be read).
QStringList placeholders(const QString& text) {
  QStringList names;
  try {
    for (const auto& n : sessions::template_placeholders(text.toStdString()))
      names.append(QString::fromStdString(n));
  } catch (const sessions::SessionError&) {
  }
  return names;
}
}  // namespace

DatasetPanel::DatasetPanel(QWidget* parent)
    : QWidget(parent),
      model_(new widgets::SessionDatasetModel(this)),
      prompts_(new widgets::DatasetPromptModel(this)) {
  table_ = new QTableView(this);
  table_->setObjectName("datasetTable");
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  preview_ = new QTableView(this);
  preview_->setModel(prompts_);
  preview_->horizontalHeader()->setStretchLastSection(true);
  preview_->verticalHeader()->hide();

  builtin_ = new QComboBox(this);
  builtin_->setObjectName("builtinDatasets");
  try {
    for (const auto& n : sessions::builtin_names("datasets"))
      builtin_->addItem(QString::fromStdString(n));
  } catch (const std::exception&) {
    builtin_->setEnabled(false);  // no resources folder: importing still works
  }
  auto* add_builtin = new QPushButton(tr("Add built-in"), this);
  auto* import_csv = new QPushButton(tr("Import CSV…"), this);
  auto* import_jsonl = new QPushButton(tr("Import JSONL…"), this);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(builtin_);
  buttons->addWidget(add_builtin);
  buttons->addSpacing(12);
  buttons->addWidget(import_csv);
  buttons->addWidget(import_jsonl);
  buttons->addStretch(1);

  auto* editor = new QWidget(this);
  name_ = new QLineEdit(editor);
  name_->setPlaceholderText(tr("dataset name"));
  template_ = new QLineEdit(editor);
  template_->setObjectName("templateEdit");
  template_->setPlaceholderText(tr("What happened {time} {place}?"));
  values_ = new QPlainTextEdit(editor);
  values_->setObjectName("templateValues");
  values_->setPlaceholderText(
      tr("one line per placeholder, values separated by commas, e.g.\n"
         "time: in 1989, in 2001\nplace: in Beijing, at Heathrow"));
  values_->setMaximumHeight(80);
  count_ = new QLabel(editor);
  count_->setObjectName("templateCount");
  add_template_ = new QPushButton(tr("Add dataset"), editor);
  auto* form = new QFormLayout(editor);
  form->addRow(tr("Name"), name_);
  form->addRow(tr("Template"), template_);
  form->addRow(tr("Values"), values_);
  auto* count_row = new QHBoxLayout;
  count_row->addWidget(count_, 1);
  count_row->addWidget(add_template_);
  form->addRow(count_row);

  auto* left = new QWidget(this);
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(0, 0, 0, 0);
  left_layout->addWidget(table_, 1);
  left_layout->addLayout(buttons);
  // The template form shares the right side with the prompt preview, so the dock's minimum
  // height is a table and a row of buttons, not the form (the chat keeps its room).
  tabs_ = new QTabWidget(this);
  tabs_->setObjectName("datasetTabs");
  tabs_->addTab(preview_, tr("Prompts"));
  tabs_->addTab(editor, tr("New from a template"));
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(left);
  split->addWidget(tabs_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split);

  connect(add_builtin, &QPushButton::clicked, this,
          [this] { addBuiltin(builtin_->currentText()); });
  connect(import_csv, &QPushButton::clicked, this, &DatasetPanel::chooseCsv);
  connect(import_jsonl, &QPushButton::clicked, this, &DatasetPanel::chooseJsonl);
  connect(add_template_, &QPushButton::clicked, this, &DatasetPanel::addTemplateDataset);
  connect(template_, &QLineEdit::textChanged, this, &DatasetPanel::updateCount);
  connect(values_, &QPlainTextEdit::textChanged, this, &DatasetPanel::updateCount);
  connect(model_, &widgets::SessionDatasetModel::loadFailed, this, &DatasetPanel::failed);
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    tabs_->setCurrentWidget(preview_);
    updatePreview();
    Q_EMIT selectionChanged(selectedDataset());
  });
  connect(model_, &QAbstractItemModel::modelReset, this, &DatasetPanel::updatePreview);
  updateCount();
}

void DatasetPanel::setStore(sessions::SessionStore* store) {
  store_ = store;
  model_->setStore(store);
  if (model_->rowCount() > 0) table_->selectRow(0);
  updatePreview();
  setEnabled(store != nullptr);
}

std::int64_t DatasetPanel::selectedDataset() const {
  const auto rows = table_->selectionModel()->selectedRows();
  return rows.isEmpty() ? 0 : model_->datasetId(rows.first().row());
}

void DatasetPanel::selectDataset(std::int64_t dataset_id) {
  const int row = model_->rowOfDataset(dataset_id);
  if (row >= 0) table_->selectRow(row);
}

void DatasetPanel::updatePreview() {
  QString error;
  if (!prompts_->load(store_, selectedDataset(), &error) && !error.isEmpty()) Q_EMIT failed(error);
}

sessions::PromptTemplate DatasetPanel::editedTemplate() const {
  return sessions::template_from_lines(template_->text().toStdString(),
                                       values_->toPlainText().toStdString());
}

int DatasetPanel::templatePromptCount(QString* error) const {
  try {
    if (template_->text().trimmed().isEmpty()) throw sessions::SessionError("no template yet");
    return static_cast<int>(sessions::expand_template(editedTemplate()).size());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return -1;
  }
}

void DatasetPanel::updateCount() {
  QString error;
  const int n = templatePromptCount(&error);
  const QStringList names = placeholders(template_->text());
  const QString list =
      names.isEmpty() ? QString() : tr(" · placeholders: %1").arg(names.join(", "));
  if (n >= 0) {
    count_->setText(tr("%n prompt(s)", nullptr, n) + list);
    count_->setStyleSheet({});
  } else {
    count_->setText(error + list);
    count_->setStyleSheet("color: #b00020");
  }
  add_template_->setEnabled(n > 0);
}

qint64 DatasetPanel::store(const sessions::Dataset& dataset) {
  if (!store_) {
    Q_EMIT failed(tr("Open or create a session first."));
    return 0;
  }
  try {
    const qint64 id = store_->add_dataset(dataset);
    model_->reload();
    selectDataset(id);
    Q_EMIT datasetsChanged();
    return id;
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot add dataset %1: %2")
                      .arg(QString::fromStdString(dataset.name), QString::fromStdString(e.what())));
    return 0;
  }
}

qint64 DatasetPanel::addBuiltin(const QString& name) {
  try {
    return store(sessions::load_dataset_file(sessions::builtin_dataset_path(name.toStdString())));
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Built-in dataset %1: %2").arg(name, QString::fromStdString(e.what())));
    return 0;
  }
}

qint64 DatasetPanel::importCsv(const QString& path, const QString& column) {
  try {
    sessions::ImportOptions options;
    return store(sessions::import_csv_file(path.toStdString(), column.toStdString(), options));
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Import %1: %2").arg(path, QString::fromStdString(e.what())));
    return 0;
  }
}

qint64 DatasetPanel::importJsonl(const QString& path, const QString& field) {
  try {
    sessions::ImportOptions options;
    return store(sessions::import_jsonl_file(path.toStdString(), field.toStdString(), options));
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Import %1: %2").arg(path, QString::fromStdString(e.what())));
    return 0;
  }
}

qint64 DatasetPanel::addTemplateDataset() {
  try {
    sessions::Dataset d;
    d.name = name_->text().trimmed().isEmpty() ? "template" : name_->text().trimmed().toStdString();
    d.description = template_->text().toStdString();
    d.prompts = sessions::expand_template(editedTemplate());
    return store(d);
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Template: %1").arg(QString::fromStdString(e.what())));
    return 0;
  }
}

void DatasetPanel::chooseCsv() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Import CSV"), {}, tr("CSV (*.csv);;All files (*)"));
  if (path.isEmpty()) return;
  // Offer the header's columns (a naive split is enough to pick a name; the importer parses RFC
  // 4180 properly).
  QStringList columns;
  QFile file(path);
  if (file.open(QIODevice::ReadOnly)) {
    for (QString c : QString::fromUtf8(file.readLine()).trimmed().split(',')) {
      c = c.trimmed();
      if (c.startsWith('"') && c.endsWith('"') && c.size() >= 2) c = c.mid(1, c.size() - 2);
      columns.append(c);
    }
  }
  const int guess = std::max(0, static_cast<int>(columns.indexOf("prompt")));
  bool ok = false;
  const QString column =
      QInputDialog::getItem(this, tr("Import CSV"), tr("Prompt column"),
                            columns.isEmpty() ? QStringList{"prompt"} : columns, guess, true, &ok);
  if (ok && !column.isEmpty()) importCsv(path, column);
}

void DatasetPanel::chooseJsonl() {
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Import JSON Lines"), {}, tr("JSON Lines (*.jsonl *.json);;All files (*)"));
  if (path.isEmpty()) return;
  bool ok = false;
  const QString field = QInputDialog::getText(this, tr("Import JSON Lines"), tr("Prompt field"),
                                              QLineEdit::Normal, "prompt", &ok);
  if (ok && !field.isEmpty()) importJsonl(path, field);
}

}  // namespace mote::widgets
