#pragma once
// The 3D resonance view: tokens x MoE layers x experts of a conversation, or the maps
// of a run's prompts / classes stacked, as a ray-cast volume, a movable slice plane, or stacked
// translucent slices. Left-drag rotates, wheel / right-drag zooms, middle-drag pans; a click on a
// voxel selects that expert (voxelSelected). Exports PNG and SVG (the rendered frame).
#include <QImage>
#include <QPointF>
#include <QWidget>
#include <array>
#include <memory>
#include <optional>

#include "widgets/models/volume_data.h"

class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QToolButton;

namespace mote::widgets {

class VtkOpenGLWidget;

class ResonanceVolumeView : public QWidget {
  Q_OBJECT

 public:
  enum class DisplayMode {
    kVolume,           // ray-cast volume, zero voxels transparent
    kVolumeWithPlane,  // the volume plus one opaque slice plane
    kPlane,            // only the slice plane
    kStackedSlices,    // every n-th slice along the slice axis, zeros transparent
  };
  Q_ENUM(DisplayMode)
  // Which ray caster draws the volume: kAuto = on the CPU (VTK's fixed-point ray caster, with
  // empty-space skipping) when the GL context is a software rasterizer (llvmpipe), else on the
  // GPU.
  enum class VolumeRenderer { kAuto, kGpu, kCpu };
  Q_ENUM(VolumeRenderer)
  // Axes in volume index order: x = expert, y = MoE layer, z = slice (token / prompt / class).
  enum Axis { kExpertAxis = 0, kLayerAxis = 1, kSliceAxis = 2 };

  explicit ResonanceVolumeView(QWidget* parent = nullptr);
  ~ResonanceVolumeView() override;

  // Replaces the data (the view keeps its own copy; VTK reads it without another copy).
  void setVolume(ResonanceVolume volume);
  const ResonanceVolume& volume() const { return volume_; }
  const VolumeGeometry& geometry() const { return geometry_; }

  DisplayMode displayMode() const { return mode_; }
  int sliceAxis() const { return slice_axis_; }
  int sliceIndex() const { return slice_index_; }
  // Values with |v| below this do not stop a pick ray in the volume modes (default 0: every
  // non-zero voxel is pickable).
  void setPickThreshold(float threshold) { pick_threshold_ = threshold; }
  void setVolumeRenderer(VolumeRenderer renderer);
  VolumeRenderer volumeRenderer() const { return renderer_choice_; }
  // What draws the volume now (kGpu or kCpu; kAuto before the GL context exists).
  VolumeRenderer activeVolumeRenderer() const;

  // The voxel under a widget position given what is shown, or nullopt.
  std::optional<VoxelIndex> voxelAt(const QPoint& widget_pos) const;
  // Where a voxel's centre appears in widget coordinates (after the first frame).
  QPointF widgetPosOfVoxel(const VoxelIndex& voxel) const;

  VtkOpenGLWidget* vtkWidget() const { return vtk_; }
  // Renders a frame and returns it (the widget's framebuffer).
  QImage renderImage();
  // Milliseconds of the last setVolume() pipeline build and of the last VTK render.
  double lastBuildMs() const { return last_build_ms_; }
  double lastRenderMs() const;

  bool exportPng(const QString& path);
  // SVG with the rendered frame embedded (a volume rendering has no vector form) plus a title.
  bool exportSvg(const QString& path);

 public Q_SLOTS:
  void setDisplayMode(mote::widgets::ResonanceVolumeView::DisplayMode mode);
  void setSliceAxis(int axis);
  void setSliceIndex(int index);
  void resetCamera();
  // Outlines the column of an expert (all slices) in the volume, e.g. when the fTRI ranking
  // hovers it; layer is the model layer index. (-1, -1) clears it.
  void highlightExpert(int layer, int expert);
  // Selects a voxel as if it had been clicked (no signal).
  void selectVoxel(const mote::widgets::VoxelIndex& voxel);
  void clearSelection();

 Q_SIGNALS:
  // A click on a voxel: model layer index, expert, slice (token) index.
  void voxelSelected(int layer, int expert, int token);
  void voxelHovered(int layer, int expert, int token, float value);
  void sliceChanged(int axis, int index);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Pipeline;
  void buildControls();
  void rebuildTransferFunctions();
  void updateSliceActors();
  void updateControls();
  void onVtkClicked(const QPoint& pos, Qt::MouseButton button);
  bool passesPickThreshold(float value) const;
  QString describe(const VoxelIndex& voxel) const;
  void applyVolumeRenderer();
  void setBoxActor(int which, const std::array<double, 6>& bounds, bool visible);

  ResonanceVolume volume_;
  VolumeGeometry geometry_;
  std::unique_ptr<Pipeline> pipeline_;
  VtkOpenGLWidget* vtk_ = nullptr;
  QComboBox* mode_combo_ = nullptr;
  QComboBox* axis_combo_ = nullptr;
  QSlider* slice_slider_ = nullptr;
  QSpinBox* slice_spin_ = nullptr;
  QLabel* info_label_ = nullptr;
  QToolButton* reset_button_ = nullptr;
  DisplayMode mode_ = DisplayMode::kVolumeWithPlane;
  int slice_axis_ = kSliceAxis;
  int slice_index_ = 0;
  float pick_threshold_ = 0.0f;
  VolumeRenderer renderer_choice_ = VolumeRenderer::kAuto;
  std::optional<VoxelIndex> selected_;
  double last_build_ms_ = 0.0;
};

}  // namespace mote::widgets
