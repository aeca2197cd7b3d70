#include "widgets/live_heatmap_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QVBoxLayout>

#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/heatmap_source.h"
#include "widgets/models/tuning_document.h"

namespace mote::widgets {

LiveHeatmapPanel::LiveHeatmapPanel(TuningDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  auto* layout = new QVBoxLayout(this);
  mode_ = new QComboBox(this);
  mode_->setObjectName("heatmapMode");
  for (auto mode :
       {HeatmapMode::kPrompt, HeatmapMode::kAnswer, HeatmapMode::kToken, HeatmapMode::kDifference})
    mode_->addItem(heatmapModeName(mode), static_cast<int>(mode));
  side_ = new QComboBox(this);
  side_->setObjectName("heatmapSide");
  side_->addItem(tr("Original"));
  side_->addItem(tr("Tuned"));
  side_->setCurrentIndex(kTuned);
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Map"), this));
  controls->addWidget(mode_);
  controls->addWidget(new QLabel(tr("of"), this));
  controls->addWidget(side_);
  controls->addStretch(1);
  layout->addLayout(controls);
  heatmap_ = new HeatmapView(this);
  heatmap_->setObjectName("heatmap");
  heatmap_->setDocument(document_);
  layout->addWidget(heatmap_, 1);
  // Under the map and wrapped, so the hint does not set the window's minimum width (the
  // workbench must fit a 1600 px laptop screen beside the chat and the tuning dock).
  auto* hint = new QLabel(tr("click: none → suppress → stimulate · drag: select · "
                             "Shift-drag: suppress · Ctrl-drag: stimulate"),
                          this);
  hint->setWordWrap(true);
  hint->setEnabled(false);  // drawn as a caption
  layout->addWidget(hint);
  connect(mode_, &QComboBox::currentIndexChanged, this, &LiveHeatmapPanel::refresh);
  connect(side_, &QComboBox::currentIndexChanged, this, &LiveHeatmapPanel::refresh);
}

void LiveHeatmapPanel::setSources(RoutingAccumulator* original, RoutingAccumulator* tuned) {
  for (auto* source : sources_)
    if (source) disconnect(source, nullptr, this, nullptr);
  sources_ = {original, tuned};
  for (auto* source : sources_)
    if (source) connect(source, &RoutingAccumulator::mapsChanged, this, &LiveHeatmapPanel::refresh);
  refresh();
}

HeatmapMode LiveHeatmapPanel::mode() const {
  return static_cast<HeatmapMode>(mode_->currentData().toInt());
}

int LiveHeatmapPanel::side() const {
  return side_->currentIndex();
}

void LiveHeatmapPanel::setMode(HeatmapMode mode, int side) {
  mode_->setCurrentIndex(mode_->findData(static_cast<int>(mode)));
  side_->setCurrentIndex(side);
  refresh();
}

void LiveHeatmapPanel::setHoveredToken(int side, int token) {
  hovered_token_ = token;
  if (mode() != HeatmapMode::kToken) return;
  if (token >= 0) side_->setCurrentIndex(side);
  refresh();
}

void LiveHeatmapPanel::refresh() {
  if (!document_ || document_->modelGeometry().n_cells() == 0) return;
  if (!sources_[kOriginal] || !sources_[kTuned]) return;
  if (mode() == HeatmapMode::kDifference) {
    heatmap_->setData(RoutingAccumulator::difference(*sources_[kTuned], *sources_[kOriginal],
                                                     HeatmapMode::kAnswer));
    return;
  }
  const int shown = side() == kOriginal ? kOriginal : kTuned;
  heatmap_->setData(sources_[shown]->data(mode(), hovered_token_));
}

void LiveHeatmapPanel::exportDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export heatmap"), "heatmap.png",
                                                    tr("PNG image (*.png);;SVG drawing (*.svg)"));
  if (path.isEmpty()) return;
  FigureOptions options;
  QString error;
  const bool ok = path.endsWith(".svg", Qt::CaseInsensitive)
                      ? exportHeatmapSvg(*heatmap_, path, options, &error)
                      : exportHeatmapPng(*heatmap_, path, options, &error);
  if (!ok) QMessageBox::warning(this, tr("Export heatmap"), error);
}

}  // namespace mote::widgets
