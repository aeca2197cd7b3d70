#include "widgets/results_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include "widgets/chart_export.h"
#include "widgets/label_delegate.h"
#include "widgets/models/session_results_model.h"

namespace mote::widgets {

ResultsPanel::ResultsPanel(QWidget* parent)
    : QWidget(parent),
      model_(new widgets::SessionResultsModel(this)),
      proxy_(new widgets::ResultsFilterProxyModel(this)) {
  proxy_->setSourceModel(model_);
  table_ = new QTableView(this);
  table_->setObjectName("resultsTable");
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
  table_->setWordWrap(false);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->setToolTip(
      tr("Double-click a row: ask that prompt in the chat with the run's settings. "
         "Select a label and press F2 (or click it again) to edit it."));
  table_->setItemDelegateForColumn(
      widgets::SessionResultsModel::kLabel,
      new LabelDelegate([this] { return model_->knownLabels(); }, table_));
  run_ = new QComboBox(this);
  run_->setObjectName("resultsRun");
  classifier_ = new QComboBox(this);
  classifier_->setObjectName("resultsClassifier");
  classifier_->setEditable(true);
  text_ = new QLineEdit(this);
  text_->setPlaceholderText(tr("filter prompts and answers"));
  text_->setClearButtonEnabled(true);
  label_ = new QComboBox(this);
  label_->setObjectName("resultsLabel");
  auto* export_csv = new QPushButton(tr("Export CSV…"), this);

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Run"), this));
  controls->addWidget(run_, 1);
  controls->addWidget(new QLabel(tr("Labels"), this));
  controls->addWidget(classifier_);
  controls->addWidget(text_, 2);
  controls->addWidget(new QLabel(tr("Label"), this));
  controls->addWidget(label_);
  controls->addWidget(export_csv);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(table_, 1);

  connect(run_, &QComboBox::activated, this, [this] {
    fillClassifiers();
    apply();
  });
  connect(classifier_, &QComboBox::textActivated, this, &ResultsPanel::apply);
  connect(text_, &QLineEdit::textChanged, proxy_, &widgets::ResultsFilterProxyModel::setTextFilter);
  connect(label_, &QComboBox::currentIndexChanged, this,
          [this] { proxy_->setLabelFilter(label_->currentData().toString()); });
  connect(export_csv, &QPushButton::clicked, this, &ResultsPanel::exportCsv);
  connect(model_, &widgets::SessionResultsModel::loadFailed, this, &ResultsPanel::failed);
  connect(model_, &widgets::SessionResultsModel::editFailed, this, &ResultsPanel::failed);
  connect(model_, &widgets::SessionResultsModel::labelEdited, this, &ResultsPanel::fillLabels);
  connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
    // The label column edits on double-click's second click otherwise: keep it for the chat.
    const QModelIndex source = proxy_->mapToSource(index);
    Q_EMIT promptActivated(model_->runIdAt(source.row()), model_->promptIdAt(source.row()));
  });
  setEnabled(false);
}

void ResultsPanel::setStore(sessions::SessionStore* store) {
  store_ = store;
  model_->setStore(store);
  fillRuns();
  fillClassifiers();
  apply();
  setEnabled(store != nullptr);
}

void ResultsPanel::reload() {
  const qint64 run = run_->currentData().toLongLong();
  fillRuns();
  if (int i = run_->findData(run); i >= 0) run_->setCurrentIndex(i);
  fillClassifiers();
  apply();
}

void ResultsPanel::showRun(qint64 run_id, const QString& classifier) {
  fillRuns();
  if (int i = run_->findData(run_id); i >= 0) run_->setCurrentIndex(i);
  fillClassifiers();
  if (!classifier.isEmpty()) classifier_->setCurrentText(classifier);
  apply();
}

void ResultsPanel::fillRuns() {
  run_->clear();
  if (!store_) return;
  try {
    for (const auto& r : store_->list_runs())
      run_->addItem(tr("%1 (run %2, %3)")
                        .arg(QString::fromStdString(r.config.name))
                        .arg(r.id)
                        .arg(QString::fromStdString(sessions::to_string(r.config.kind))),
                    static_cast<qlonglong>(r.id));
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

void ResultsPanel::fillClassifiers() {
  const QString current = classifier_->currentText();
  classifier_->clear();
  if (!store_ || run_->currentIndex() < 0) return;
  try {
    for (const auto& c : store_->label_classifiers(run_->currentData().toLongLong()))
      classifier_->addItem(QString::fromStdString(c));
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
  if (classifier_->findText(current) >= 0) classifier_->setCurrentText(current);
}

void ResultsPanel::fillLabels() {
  const QString current = label_->currentData().toString();
  QSignalBlocker block(label_);
  label_->clear();
  label_->addItem(tr("any"), QString());
  label_->addItem(tr("(unlabelled)"), widgets::ResultsFilterProxyModel::unlabelledToken());
  for (const QString& l : model_->knownLabels())
    if (!l.isEmpty()) label_->addItem(l, l);
  const int i = label_->findData(current);
  label_->setCurrentIndex(i >= 0 ? i : 0);
  proxy_->setLabelFilter(label_->currentData().toString());
}

void ResultsPanel::apply() {
  std::vector<std::int64_t> runs;
  if (run_->currentIndex() >= 0) runs.push_back(run_->currentData().toLongLong());
  model_->setRuns(runs, classifier_->currentText());
  fillLabels();
  table_->resizeColumnToContents(widgets::SessionResultsModel::kRun);
  table_->setColumnWidth(widgets::SessionResultsModel::kPrompt, 320);
  table_->setColumnWidth(widgets::SessionResultsModel::kAnswer, 420);
}

void ResultsPanel::exportCsv() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export results"), "results.csv", tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  QString error;
  if (!widgets::writeTextFile(path, widgets::SessionResultsModel::toCsv(*proxy_), &error))
    Q_EMIT failed(error);
}

}  // namespace mote::widgets
