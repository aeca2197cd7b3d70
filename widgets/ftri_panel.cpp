#include "widgets/ftri_panel.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QVBoxLayout>

#include "widgets/ftri_view.h"

namespace mote::widgets {

FtriPanel::FtriPanel(QWidget* parent) : QWidget(parent), view_(new FtriView(this)) {
  view_->setObjectName("ftriView");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(view_, 1);
  auto* buttons = new QHBoxLayout;
  auto* map = new QPushButton(tr("Export map…"), this);
  auto* table = new QPushButton(tr("Export ranking…"), this);
  auto* tuning = new QPushButton(tr("Export top-N as tuning…"), this);
  buttons->addStretch(1);
  buttons->addWidget(map);
  buttons->addWidget(table);
  buttons->addWidget(tuning);
  layout->addLayout(buttons);
  connect(map, &QPushButton::clicked, this, &FtriPanel::exportMapDialog);
  connect(table, &QPushButton::clicked, this, &FtriPanel::exportRankingDialog);
  connect(tuning, &QPushButton::clicked, this, &FtriPanel::exportTuningDialog);
}

void FtriPanel::exportMapDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export fTRI map"), "ftri-map.png",
                                                    tr("PNG image (*.png);;SVG drawing (*.svg)"));
  if (path.isEmpty()) return;
  QString error;
  const bool ok = path.endsWith(".svg", Qt::CaseInsensitive) ? view_->exportMapSvg(path, &error)
                                                             : view_->exportMapPng(path, &error);
  if (!ok) Q_EMIT failed(tr("Export: %1").arg(error));
}

void FtriPanel::exportRankingDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export fTRI ranking"), "ftri.csv",
                                                    tr("CSV (*.csv);;JSON (*.json)"));
  if (path.isEmpty()) return;
  QString error;
  const bool ok = path.endsWith(".json", Qt::CaseInsensitive) ? view_->exportTableJson(path, &error)
                                                              : view_->exportTableCsv(path, &error);
  if (!ok) Q_EMIT failed(tr("Export: %1").arg(error));
}

void FtriPanel::exportTuningDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export top-N as tuning"),
                                                    "tuning.json", tr("Tuning (*.json)"));
  if (path.isEmpty()) return;
  QString error;
  if (!view_->exportTuningJson(path, sessions::RankingEnd::kTop, view_->applyCount(),
                               ExpertState::kSuppressed, &error))
    Q_EMIT failed(tr("Export: %1").arg(error));
}

}  // namespace mote::widgets
