#include "widgets/volume_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <exception>

#include "widgets/models/session_task.h"
#include "widgets/volume_view.h"

namespace mote::widgets {

VolumePanel::VolumePanel(QWidget* parent) : QWidget(parent), task_(new SessionTask(this)) {
  layout_ = new QVBoxLayout(this);
  layout_->setContentsMargins(0, 0, 0, 0);
  placeholder_ = new QLabel(tr("The 3D view opens with this dock."), this);
  layout_->addWidget(placeholder_, 1);
  auto* buttons = new QHBoxLayout;
  auto* export_button = new QPushButton(tr("Export view…"), this);
  source_ = new QComboBox(this);
  source_->setObjectName("volumeSource");
  source_->addItem(tr("Chat: tuned side, per token"));
  source_->addItem(tr("Run (fTRI dock): prompt maps, per prompt"));
  source_->addItem(tr("Run (fTRI dock): class means"));
  source_->setToolTip(
      tr("What the volume stacks: the current conversation's routing token by token, or the "
         "activation maps of the run selected in the fTRI dock"));
  buttons->addWidget(new QLabel(tr("Show"), this));
  buttons->addWidget(source_);
  buttons->addStretch(1);
  buttons->addWidget(export_button);
  layout_->addLayout(buttons);
  connect(source_, &QComboBox::currentIndexChanged, this, &VolumePanel::onSourceChosen);
  connect(export_button, &QPushButton::clicked, this, &VolumePanel::exportDialog);
}

// The task waits for a volume still loading; it is no longer shown.
VolumePanel::~VolumePanel() {
  delete task_;
}

ResonanceVolumeView* VolumePanel::view() {
  if (view_) return view_;
  view_ = new ResonanceVolumeView(this);
  view_->setObjectName("volumeView");
  layout_->replaceWidget(placeholder_, view_);
  placeholder_->deleteLater();
  placeholder_ = nullptr;
  connect(view_, &ResonanceVolumeView::voxelSelected, this, &VolumePanel::voxelSelected);
  if (!chat_volume_.empty()) view_->setVolume(chat_volume_);
  return view_;
}

VolumePanel::Source VolumePanel::source() const {
  return static_cast<Source>(source_->currentIndex());
}

void VolumePanel::setSource(Source source) {
  source_->setCurrentIndex(static_cast<int>(source));
}

void VolumePanel::setChatRouting(const std::vector<mote::RoutingRow>& rows,
                                 const mote::ModelGeometry& geometry) {
  if (rows.empty() || geometry.n_cells() == 0) return;
  try {
    chat_volume_ = ResonanceVolume::fromRouting(rows, geometry);
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("3D view: %1").arg(QString::fromStdString(e.what())));
    return;
  }
  if (view_ && source() == Source::kChat) view_->setVolume(chat_volume_);
}

void VolumePanel::onSourceChosen() {
  // Whatever is loading belongs to the previous choice.
  task_->discard();
  if (source() == Source::kChat) {
    view()->setVolume(chat_volume_);
    return;
  }
  Q_EMIT runSourceChosen(source());
}

void VolumePanel::loadRun(const QString& session_path, std::int64_t run_id,
                          const QString& classifier) {
  if (session_path.isEmpty() || run_id <= 0) {
    task_->discard();
    Q_EMIT failed(tr("3D view: choose a run in the fTRI dock first."));
    return;
  }
  const bool prompts = source() == Source::kRunPrompts;
  const std::string classifier_name = classifier.toStdString();
  // Decoding every map of a large run takes a while: off the UI thread.
  task_->start(
      session_path,
      [prompts, run_id, classifier_name](sessions::SessionStore& store) {
        return prompts ? runVolume(store, run_id) : classMeanVolume(store, run_id, classifier_name);
      },
      [this](ResonanceVolume volume) { view()->setVolume(std::move(volume)); },
      [this](const QString& message) { Q_EMIT failed(tr("3D view: %1").arg(message)); });
}

void VolumePanel::exportDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export 3D view"), "volume.png",
                                                    tr("PNG image (*.png);;SVG drawing (*.svg)"));
  if (path.isEmpty()) return;
  const bool ok = path.endsWith(".svg", Qt::CaseInsensitive) ? view()->exportSvg(path)
                                                             : view()->exportPng(path);
  if (!ok) Q_EMIT failed(tr("Export: cannot write %1").arg(path));
}

}  // namespace mote::widgets
