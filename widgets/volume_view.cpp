#include "widgets/volume_view.h"

#include <vtkActor.h>
#include <vtkAutoInit.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkColorTransferFunction.h>
#include <vtkCubeAxesActor.h>
#include <vtkFloatArray.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkLookupTable.h>
#include <vtkPiecewiseFunction.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkSmartVolumeMapper.h>
#include <vtkTextProperty.h>
#include <vtkVolume.h>
#include <vtkVolumeProperty.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QSlider>
#include <QSpinBox>
#include <QSvgGenerator>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/colormap.h"
#include "widgets/vtk_opengl_widget.h"

// Text (axis titles and tick labels) needs the FreeType text renderer's factory override.
VTK_MODULE_INIT(vtkRenderingFreeType);

namespace mote::widgets {
namespace {

// Adds `samples` points of a workbench colour map over [low, high] to a transfer function.
void addColormap(vtkColorTransferFunction* function, const Colormap& map, double low, double high,
                 int samples = 32) {
  for (int i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / (samples - 1);
    const QColor c = map.color(t);
    function->AddRGBPoint(low + t * (high - low), c.redF(), c.greenF(), c.blueF());
  }
}

constexpr double kBackground[] = {0.09, 0.10, 0.12};
constexpr double kZeroPlaneColor[] = {0.16, 0.17, 0.21};
constexpr int kMaxStackedSlices = 64;

enum BoxActor { kOutlineBox = 0, kSelectionBox = 1, kHighlightBox = 2, kPlaneBox = 3, kBoxCount };

vtkSmartPointer<vtkPolyData> boxPolyData(const std::array<double, 6>& b) {
  auto points = vtkSmartPointer<vtkPoints>::New();
  for (int i = 0; i < 8; ++i)
    points->InsertNextPoint(b[(i & 1) ? 1 : 0], b[(i & 2) ? 3 : 2], b[(i & 4) ? 5 : 4]);
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  // The 12 edges of the box: pairs of corners differing in one bit.
  for (int i = 0; i < 8; ++i)
    for (int bit : {1, 2, 4})
      if (!(i & bit)) {
        const vtkIdType edge[2] = {i, i | bit};
        lines->InsertNextCell(2, edge);
      }
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(points);
  poly->SetLines(lines);
  return poly;
}

}  // namespace

struct ResonanceVolumeView::Pipeline {
  vtkSmartPointer<vtkImageData> image = vtkSmartPointer<vtkImageData>::New();
  vtkSmartPointer<vtkSmartVolumeMapper> volume_mapper =
      vtkSmartPointer<vtkSmartVolumeMapper>::New();
  vtkSmartPointer<vtkVolume> volume = vtkSmartPointer<vtkVolume>::New();
  vtkSmartPointer<vtkVolumeProperty> volume_property = vtkSmartPointer<vtkVolumeProperty>::New();
  vtkSmartPointer<vtkColorTransferFunction> colors =
      vtkSmartPointer<vtkColorTransferFunction>::New();
  vtkSmartPointer<vtkPiecewiseFunction> opacity = vtkSmartPointer<vtkPiecewiseFunction>::New();
  // The slice plane (opaque, zeros dark) and the stacked slices (zeros transparent).
  vtkSmartPointer<vtkLookupTable> plane_lut = vtkSmartPointer<vtkLookupTable>::New();
  vtkSmartPointer<vtkLookupTable> stacked_lut = vtkSmartPointer<vtkLookupTable>::New();
  vtkSmartPointer<vtkImageSliceMapper> plane_mapper = vtkSmartPointer<vtkImageSliceMapper>::New();
  vtkSmartPointer<vtkImageSlice> plane = vtkSmartPointer<vtkImageSlice>::New();
  vtkSmartPointer<vtkImageProperty> stacked_property = vtkSmartPointer<vtkImageProperty>::New();
  std::vector<vtkSmartPointer<vtkImageSlice>> stacked;
  std::vector<int> stacked_indices;
  std::array<vtkSmartPointer<vtkActor>, kBoxCount> boxes;
  vtkSmartPointer<vtkCubeAxesActor> axes = vtkSmartPointer<vtkCubeAxesActor>::New();
  bool signed_data = false;
};

ResonanceVolumeView::ResonanceVolumeView(QWidget* parent)
    : QWidget(parent), pipeline_(std::make_unique<Pipeline>()) {
  buildControls();
  auto& p = *pipeline_;
  vtkRenderer* renderer = vtk_->renderer();
  renderer->SetBackground(kBackground[0], kBackground[1], kBackground[2]);

  p.volume_property->SetColor(p.colors);
  p.volume_property->SetScalarOpacity(p.opacity);
  p.volume_property->SetInterpolationTypeToNearest();  // experts are discrete cells
  p.volume_property->ShadeOff();
  p.volume_mapper->SetInputData(p.image);
  p.volume_mapper->SetBlendModeToComposite();
  p.volume->SetMapper(p.volume_mapper);
  p.volume->SetProperty(p.volume_property);
  p.volume->SetPickable(false);  // picking is done on the data (pickVoxel)

  p.plane_mapper->SetInputData(p.image);
  p.plane_mapper->BorderOn();  // edge voxels drawn whole, as picking sees them
  p.plane->SetMapper(p.plane_mapper);
  p.plane->GetProperty()->SetLookupTable(p.plane_lut);
  p.plane->GetProperty()->UseLookupTableScalarRangeOn();
  p.plane->GetProperty()->SetInterpolationTypeToNearest();
  p.stacked_property->SetLookupTable(p.stacked_lut);
  p.stacked_property->UseLookupTableScalarRangeOn();
  p.stacked_property->SetInterpolationTypeToNearest();

  const double box_colors[kBoxCount][3] = {
      {0.55, 0.58, 0.65}, {0.20, 1.00, 0.90}, {1.00, 1.00, 1.00}, {0.95, 0.95, 0.95}};
  for (int i = 0; i < kBoxCount; ++i) {
    auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    mapper->SetInputData(boxPolyData({0, 1, 0, 1, 0, 1}));
    auto& actor = p.boxes[static_cast<std::size_t>(i)];
    actor = vtkSmartPointer<vtkActor>::New();
    actor->SetMapper(mapper);
    actor->GetProperty()->SetColor(box_colors[i][0], box_colors[i][1], box_colors[i][2]);
    actor->GetProperty()->SetLineWidth(i == kSelectionBox ? 2.0 : 1.0);
    actor->GetProperty()->LightingOff();
    actor->SetPickable(false);
    actor->SetVisibility(false);
    renderer->AddActor(actor);
  }
  // Axes with titles and index ticks (expert, model layer, token) on the outer edges.
  p.axes->SetCamera(renderer->GetActiveCamera());
  p.axes->SetFlyModeToOuterEdges();
  p.axes->SetTickLocationToOutside();
  p.axes->SetXLabelFormat("%.0f");
  p.axes->SetYLabelFormat("%.0f");
  p.axes->SetZLabelFormat("%.0f");
  p.axes->SetLabelScaling(false, 0, 0, 0);
  p.axes->XAxisMinorTickVisibilityOff();
  p.axes->YAxisMinorTickVisibilityOff();
  p.axes->ZAxisMinorTickVisibilityOff();
  p.axes->SetScreenSize(12.0);
  for (int i = 0; i < 3; ++i) {
    p.axes->GetTitleTextProperty(i)->SetColor(0.85, 0.87, 0.9);
    p.axes->GetLabelTextProperty(i)->SetColor(0.7, 0.72, 0.76);
  }
  p.axes->GetXAxesLinesProperty()->SetColor(0.55, 0.58, 0.65);
  p.axes->GetYAxesLinesProperty()->SetColor(0.55, 0.58, 0.65);
  p.axes->GetZAxesLinesProperty()->SetColor(0.55, 0.58, 0.65);
  p.axes->SetPickable(false);
  p.axes->SetVisibility(false);
  renderer->AddActor(p.axes);
  renderer->AddVolume(p.volume);
  renderer->AddViewProp(p.plane);
  p.volume->SetVisibility(false);
  p.plane->SetVisibility(false);

  connect(vtk_, &VtkOpenGLWidget::glInitialized, this, &ResonanceVolumeView::applyVolumeRenderer);
  connect(vtk_, &VtkOpenGLWidget::clicked, this,
          [this](const QPoint& pos, Qt::MouseButton button, Qt::KeyboardModifiers) {
            onVtkClicked(pos, button);
          });
  vtk_->installEventFilter(this);
}

ResonanceVolumeView::~ResonanceVolumeView() {
  // The VTK widget releases GL resources in its destructor while the pipeline still exists.
  delete vtk_;
  vtk_ = nullptr;
}

void ResonanceVolumeView::setVolumeRenderer(VolumeRenderer renderer) {
  renderer_choice_ = renderer;
  applyVolumeRenderer();
}

ResonanceVolumeView::VolumeRenderer ResonanceVolumeView::activeVolumeRenderer() const {
  if (renderer_choice_ != VolumeRenderer::kAuto) return renderer_choice_;
  if (vtk_->glRenderer().isEmpty()) return VolumeRenderer::kAuto;
  return vtk_->isSoftwareRenderer() ? VolumeRenderer::kCpu : VolumeRenderer::kGpu;
}

void ResonanceVolumeView::applyVolumeRenderer() {
  auto& mapper = *pipeline_->volume_mapper;
  switch (activeVolumeRenderer()) {
    case VolumeRenderer::kCpu:
      mapper.SetRequestedRenderModeToRayCast();
      break;
    case VolumeRenderer::kGpu:
      mapper.SetRequestedRenderModeToGPU();
      break;
    case VolumeRenderer::kAuto:
      mapper.SetRequestedRenderModeToDefault();
      break;
  }
  vtk_->update();
}

void ResonanceVolumeView::buildControls() {
  vtk_ = new VtkOpenGLWidget(this);
  mode_combo_ = new QComboBox(this);
  mode_combo_->addItem(tr("Volume"), QVariant::fromValue(DisplayMode::kVolume));
  mode_combo_->addItem(tr("Volume + slice plane"),
                       QVariant::fromValue(DisplayMode::kVolumeWithPlane));
  mode_combo_->addItem(tr("Slice plane"), QVariant::fromValue(DisplayMode::kPlane));
  mode_combo_->addItem(tr("Stacked slices"), QVariant::fromValue(DisplayMode::kStackedSlices));
  mode_combo_->setCurrentIndex(1);
  mode_combo_->setToolTip(tr("How the volume is drawn"));
  axis_combo_ = new QComboBox(this);
  axis_combo_->addItem(tr("Expert"), kExpertAxis);
  axis_combo_->addItem(tr("Layer"), kLayerAxis);
  axis_combo_->addItem(tr("Token"), kSliceAxis);
  axis_combo_->setCurrentIndex(kSliceAxis);
  axis_combo_->setToolTip(tr("Axis the slice plane moves along"));
  slice_slider_ = new QSlider(Qt::Horizontal, this);
  slice_slider_->setToolTip(tr("Slice plane position"));
  slice_spin_ = new QSpinBox(this);
  reset_button_ = new QToolButton(this);
  reset_button_->setText(tr("Reset view"));
  info_label_ = new QLabel(this);
  info_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  info_label_->setText(tr("Drag to rotate, wheel to zoom, click a voxel to select its expert."));

  auto* controls = new QHBoxLayout;
  controls->addWidget(mode_combo_);
  controls->addWidget(new QLabel(tr("Slice along"), this));
  controls->addWidget(axis_combo_);
  controls->addWidget(slice_slider_, 1);
  controls->addWidget(slice_spin_);
  controls->addWidget(reset_button_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(controls);
  layout->addWidget(vtk_, 1);
  layout->addWidget(info_label_);

  connect(mode_combo_, &QComboBox::currentIndexChanged, this,
          [this](int) { setDisplayMode(mode_combo_->currentData().value<DisplayMode>()); });
  connect(axis_combo_, &QComboBox::currentIndexChanged, this,
          [this](int) { setSliceAxis(axis_combo_->currentData().toInt()); });
  connect(slice_slider_, &QSlider::valueChanged, this, &ResonanceVolumeView::setSliceIndex);
  connect(slice_spin_, &QSpinBox::valueChanged, this, &ResonanceVolumeView::setSliceIndex);
  connect(reset_button_, &QToolButton::clicked, this, &ResonanceVolumeView::resetCamera);
}

void ResonanceVolumeView::setVolume(ResonanceVolume volume) {
  QElapsedTimer timer;
  timer.start();
  auto& p = *pipeline_;
  volume_ = std::move(volume);
  geometry_ = VolumeGeometry::balanced(volume_);
  selected_.reset();

  // VTK reads the view's own buffer (save = 1: VTK never frees it); the image is rebuilt on
  // every setVolume so it never outlives the data.
  p.image = vtkSmartPointer<vtkImageData>::New();
  p.image->SetDimensions(std::max(1, volume_.experts()), std::max(1, volume_.layers()),
                         std::max(1, volume_.slices()));
  p.image->SetSpacing(geometry_.spacing[0], geometry_.spacing[1], geometry_.spacing[2]);
  p.image->SetOrigin(0.0, 0.0, 0.0);
  auto scalars = vtkSmartPointer<vtkFloatArray>::New();
  scalars->SetName("resonance");
  scalars->SetNumberOfComponents(1);
  if (!volume_.empty())
    scalars->SetArray(volume_.mutableValues().data(), static_cast<vtkIdType>(volume_.voxelCount()),
                      1);
  else
    scalars->SetNumberOfTuples(static_cast<vtkIdType>(p.image->GetNumberOfPoints()));
  if (volume_.empty()) scalars->Fill(0.0);
  p.image->GetPointData()->SetScalars(scalars);
  p.volume_mapper->SetInputData(p.image);
  p.plane_mapper->SetInputData(p.image);

  rebuildTransferFunctions();
  const double sx = geometry_.spacing[0], sy = geometry_.spacing[1], sz = geometry_.spacing[2];
  setBoxActor(kOutlineBox,
              {-0.5 * sx, (volume_.experts() - 0.5) * sx, -0.5 * sy, (volume_.layers() - 0.5) * sy,
               -0.5 * sz, (volume_.slices() - 0.5) * sz},
              !volume_.empty());
  setBoxActor(kSelectionBox, {0, 0, 0, 0, 0, 0}, false);
  setBoxActor(kHighlightBox, {0, 0, 0, 0, 0, 0}, false);
  if (!volume_.empty()) {
    p.axes->SetBounds(-0.5 * sx, (volume_.experts() - 0.5) * sx, -0.5 * sy,
                      (volume_.layers() - 0.5) * sy, -0.5 * sz, (volume_.slices() - 0.5) * sz);
    // Ticks in data units: expert index, model layer index, slice index.
    p.axes->SetXAxisRange(-0.5, volume_.experts() - 0.5);
    p.axes->SetYAxisRange(volume_.layerId(0) - 0.5, volume_.layerId(volume_.layers() - 1) + 0.5);
    p.axes->SetZAxisRange(-0.5, volume_.slices() - 0.5);
    p.axes->SetXTitle(tr("expert").toUtf8().constData());
    p.axes->SetYTitle(tr("layer").toUtf8().constData());
    p.axes->SetZTitle(volume_.sliceAxisTitle().toUtf8().constData());
  }
  p.axes->SetVisibility(!volume_.empty());
  slice_index_ = std::clamp(slice_index_, 0, std::max(0, volume_.slices() - 1));
  axis_combo_->setItemText(
      kSliceAxis, volume_.sliceAxisTitle().left(1).toUpper() + volume_.sliceAxisTitle().mid(1));
  updateSliceActors();
  updateControls();
  resetCamera();
  last_build_ms_ = static_cast<double>(timer.nsecsElapsed()) / 1e6;
  vtk_->update();
}

void ResonanceVolumeView::rebuildTransferFunctions() {
  auto& p = *pipeline_;
  const auto [lo_value, hi_value] = volume_.range();
  p.signed_data = lo_value < 0.0f;
  double lo = 0.0, hi = std::max(1e-6, static_cast<double>(hi_value));
  p.colors->RemoveAllPoints();
  p.opacity->RemoveAllPoints();
  if (p.signed_data) {
    const double m =
        std::max({std::abs(static_cast<double>(lo_value)), static_cast<double>(hi_value), 1e-6});
    lo = -m;
    hi = m;
    addColormap(p.colors, Colormap::coolWarm(), lo, hi);
    p.opacity->AddPoint(-m, 0.9);
    p.opacity->AddPoint(-0.02 * m, 0.08);
    p.opacity->AddPoint(0.0, 0.0);
    p.opacity->AddPoint(0.02 * m, 0.08);
    p.opacity->AddPoint(m, 0.9);
  } else {
    // Magma from its purple quarter up: the near-black start would vanish in the background.
    const auto& magma = Colormap::magma();
    for (int i = 0; i < 32; ++i) {
      const double t = static_cast<double>(i) / 31.0;
      const QColor c = magma.color(0.25 + 0.75 * t);
      p.colors->AddRGBPoint(t * hi, c.redF(), c.greenF(), c.blueF());
    }
    // Zero (no token chose the expert) is fully transparent; anything above is visible.
    p.opacity->AddPoint(0.0, 0.0);
    p.opacity->AddPoint(hi * 1e-3, 0.12);
    p.opacity->AddPoint(hi, 0.9);
  }
  // Lookup tables for the slice images: 255 bins so that zero has a bin of its own (centre bin
  // for signed data, first bin otherwise).
  const int bins = 255;
  for (auto* lut : {p.plane_lut.Get(), p.stacked_lut.Get()}) {
    lut->SetNumberOfTableValues(bins);
    lut->SetTableRange(lo, hi);
    const bool stacked = lut == p.stacked_lut.Get();
    for (int i = 0; i < bins; ++i) {
      const double v0 = lo + (hi - lo) * i / bins, v1 = lo + (hi - lo) * (i + 1) / bins;
      const bool zero_bin = p.signed_data ? (v0 <= 0.0 && 0.0 < v1) : i == 0;
      double rgb[3];
      p.colors->GetColor(0.5 * (v0 + v1), rgb);
      if (zero_bin && !stacked)
        lut->SetTableValue(i, kZeroPlaneColor[0], kZeroPlaneColor[1], kZeroPlaneColor[2], 1.0);
      else
        lut->SetTableValue(i, rgb[0], rgb[1], rgb[2], zero_bin ? 0.0 : (stacked ? 0.85 : 1.0));
    }
    lut->Build();
  }
  p.volume_property->Modified();
}

void ResonanceVolumeView::updateSliceActors() {
  auto& p = *pipeline_;
  vtkRenderer* renderer = vtk_->renderer();
  const bool has_data = !volume_.empty();
  const bool show_volume =
      has_data && (mode_ == DisplayMode::kVolume || mode_ == DisplayMode::kVolumeWithPlane);
  const bool show_plane =
      has_data && (mode_ == DisplayMode::kVolumeWithPlane || mode_ == DisplayMode::kPlane);
  p.volume->SetVisibility(show_volume);
  p.plane->SetVisibility(show_plane);
  const std::array<int, 3> dims{volume_.experts(), volume_.layers(), volume_.slices()};
  const int n_along = std::max(1, dims[static_cast<std::size_t>(slice_axis_)]);
  slice_index_ = std::clamp(slice_index_, 0, n_along - 1);
  p.plane_mapper->SetOrientation(slice_axis_);
  p.plane_mapper->SetSliceNumber(slice_index_);

  // Frame of the slice plane.
  std::array<double, 6> frame{};
  for (int a = 0; a < 3; ++a) {
    const double s = geometry_.spacing[static_cast<std::size_t>(a)];
    if (a == slice_axis_) {
      frame[2 * a] = frame[2 * a + 1] = slice_index_ * s;
    } else {
      frame[2 * a] = -0.5 * s;
      frame[2 * a + 1] = (dims[static_cast<std::size_t>(a)] - 0.5) * s;
    }
  }
  setBoxActor(kPlaneBox, frame, show_plane);

  for (auto& slice : p.stacked) renderer->RemoveViewProp(slice);
  p.stacked.clear();
  p.stacked_indices.clear();
  if (has_data && mode_ == DisplayMode::kStackedSlices) {
    const int step = std::max(1, (n_along + kMaxStackedSlices - 1) / kMaxStackedSlices);
    for (int k = 0; k < n_along; k += step) {
      auto mapper = vtkSmartPointer<vtkImageSliceMapper>::New();
      mapper->SetInputData(p.image);
      mapper->BorderOn();
      mapper->SetOrientation(slice_axis_);
      mapper->SetSliceNumber(k);
      auto slice = vtkSmartPointer<vtkImageSlice>::New();
      slice->SetMapper(mapper);
      slice->SetProperty(p.stacked_property);
      slice->SetPickable(false);
      renderer->AddViewProp(slice);
      p.stacked.push_back(slice);
      p.stacked_indices.push_back(k);
    }
  }
  vtk_->update();
}

void ResonanceVolumeView::updateControls() {
  const std::array<int, 3> dims{volume_.experts(), volume_.layers(), volume_.slices()};
  const int n_along = std::max(1, dims[static_cast<std::size_t>(slice_axis_)]);
  const QSignalBlocker b1(slice_slider_), b2(slice_spin_), b3(mode_combo_), b4(axis_combo_);
  slice_slider_->setRange(0, n_along - 1);
  slice_spin_->setRange(0, n_along - 1);
  slice_slider_->setValue(slice_index_);
  slice_spin_->setValue(slice_index_);
  const bool plane = mode_ != DisplayMode::kVolume;
  slice_slider_->setEnabled(plane && mode_ != DisplayMode::kStackedSlices);
  slice_spin_->setEnabled(plane && mode_ != DisplayMode::kStackedSlices);
  mode_combo_->setCurrentIndex(mode_combo_->findData(QVariant::fromValue(mode_)));
  axis_combo_->setCurrentIndex(axis_combo_->findData(slice_axis_));
}

void ResonanceVolumeView::setDisplayMode(DisplayMode mode) {
  if (mode_ == mode) return;
  mode_ = mode;
  updateSliceActors();
  updateControls();
}

void ResonanceVolumeView::setSliceAxis(int axis) {
  axis = std::clamp(axis, 0, 2);
  if (slice_axis_ == axis) return;
  slice_axis_ = axis;
  const std::array<int, 3> dims{volume_.experts(), volume_.layers(), volume_.slices()};
  slice_index_ = dims[static_cast<std::size_t>(axis)] / 2;
  updateSliceActors();
  updateControls();
  Q_EMIT sliceChanged(slice_axis_, slice_index_);
}

void ResonanceVolumeView::setSliceIndex(int index) {
  const std::array<int, 3> dims{volume_.experts(), volume_.layers(), volume_.slices()};
  index = std::clamp(index, 0, std::max(0, dims[static_cast<std::size_t>(slice_axis_)] - 1));
  if (index == slice_index_) return;
  slice_index_ = index;
  updateSliceActors();
  updateControls();
  Q_EMIT sliceChanged(slice_axis_, slice_index_);
}

void ResonanceVolumeView::resetCamera() {
  vtkRenderer* renderer = vtk_->renderer();
  vtkCamera* camera = renderer->GetActiveCamera();
  // Look at the expert x layer face from the front, then turn to show the token depth.
  camera->SetPosition(0, 0, 1);
  camera->SetFocalPoint(0, 0, 0);
  camera->SetViewUp(0, 1, 0);
  renderer->ResetCamera();
  camera->Azimuth(-35.0);
  camera->Elevation(25.0);
  camera->OrthogonalizeViewUp();
  renderer->ResetCamera();
  camera->Zoom(0.9);  // room for the axis labels
  renderer->ResetCameraClippingRange();
  vtk_->update();
}

void ResonanceVolumeView::setBoxActor(int which, const std::array<double, 6>& bounds,
                                      bool visible) {
  auto& actor = pipeline_->boxes[static_cast<std::size_t>(which)];
  auto* mapper = vtkPolyDataMapper::SafeDownCast(actor->GetMapper());
  mapper->SetInputData(boxPolyData(bounds));
  actor->SetVisibility(visible);
}

void ResonanceVolumeView::highlightExpert(int layer, int expert) {
  const auto& ids = volume_.layerIds();
  const auto it = std::find(ids.begin(), ids.end(), layer);
  if (it == ids.end() || expert < 0 || expert >= volume_.experts()) {
    setBoxActor(kHighlightBox, {0, 0, 0, 0, 0, 0}, false);
  } else {
    const int m = static_cast<int>(it - ids.begin());
    const double sx = geometry_.spacing[0], sy = geometry_.spacing[1], sz = geometry_.spacing[2];
    setBoxActor(kHighlightBox,
                {(expert - 0.5) * sx, (expert + 0.5) * sx, (m - 0.5) * sy, (m + 0.5) * sy,
                 -0.5 * sz, (volume_.slices() - 0.5) * sz},
                true);
  }
  vtk_->update();
}

void ResonanceVolumeView::selectVoxel(const VoxelIndex& voxel) {
  selected_ = voxel;
  const double sx = geometry_.spacing[0], sy = geometry_.spacing[1], sz = geometry_.spacing[2];
  setBoxActor(kSelectionBox,
              {(voxel.expert - 0.5) * sx, (voxel.expert + 0.5) * sx, (voxel.moe_layer - 0.5) * sy,
               (voxel.moe_layer + 0.5) * sy, (voxel.slice - 0.5) * sz, (voxel.slice + 0.5) * sz},
              true);
  info_label_->setText(tr("Selected: %1").arg(describe(voxel)));
  vtk_->update();
}

void ResonanceVolumeView::clearSelection() {
  selected_.reset();
  setBoxActor(kSelectionBox, {0, 0, 0, 0, 0, 0}, false);
  vtk_->update();
}

QString ResonanceVolumeView::describe(const VoxelIndex& v) const {
  QString slice = QStringLiteral("%1 %2").arg(volume_.sliceAxisTitle()).arg(v.slice);
  if (v.slice < volume_.sliceLabels().size())
    slice += QStringLiteral(" (%1)").arg(volume_.sliceLabels().at(v.slice).simplified());
  return tr("layer %1 (MoE layer %2), expert %3, %4: %5")
      .arg(volume_.layerId(v.moe_layer))
      .arg(v.moe_layer)
      .arg(v.expert)
      .arg(slice)
      .arg(static_cast<double>(volume_.value(v.slice, v.moe_layer, v.expert)), 0, 'g', 4);
}

bool ResonanceVolumeView::passesPickThreshold(float value) const {
  return value != 0.0f && std::abs(value) >= pick_threshold_;
}

std::optional<VoxelIndex> ResonanceVolumeView::voxelAt(const QPoint& widget_pos) const {
  if (volume_.empty()) return std::nullopt;
  vtkRenderer* renderer = vtk_->renderer();
  const QPoint d = vtk_->toDisplay(widget_pos);
  std::array<double, 3> ends[2];
  for (int i = 0; i < 2; ++i) {
    renderer->SetDisplayPoint(d.x(), d.y(), i == 0 ? 0.0 : 1.0);
    renderer->DisplayToWorld();
    const double* w = renderer->GetWorldPoint();
    const double h = w[3] != 0.0 ? w[3] : 1.0;
    ends[i] = {w[0] / h, w[1] / h, w[2] / h};
  }
  const std::array<double, 3>& origin = ends[0];
  const std::array<double, 3> dir{ends[1][0] - ends[0][0], ends[1][1] - ends[0][1],
                                  ends[1][2] - ends[0][2]};
  // Solid voxels of the ray-cast volume (nearest-neighbour sampling draws them as cells).
  std::optional<VoxelHit> best;
  if (mode_ == DisplayMode::kVolume || mode_ == DisplayMode::kVolumeWithPlane)
    best = pickVoxel(volume_, geometry_, origin, dir,
                     [this](const VoxelIndex&, float value) { return passesPickThreshold(value); });
  // Flat images through voxel centres: the plane (every voxel) and the stacked slices
  // (non-zero voxels only; zeros are transparent).
  const auto consider = [&](const std::optional<VoxelHit>& hit) {
    if (hit && (!best || hit->t < best->t)) best = hit;
  };
  if (mode_ == DisplayMode::kVolumeWithPlane || mode_ == DisplayMode::kPlane)
    consider(intersectSlicePlane(volume_, geometry_, origin, dir, slice_axis_, slice_index_));
  if (mode_ == DisplayMode::kStackedSlices) {
    for (const int k : pipeline_->stacked_indices) {
      const auto hit = intersectSlicePlane(volume_, geometry_, origin, dir, slice_axis_, k);
      if (hit && passesPickThreshold(
                     volume_.value(hit->voxel.slice, hit->voxel.moe_layer, hit->voxel.expert)))
        consider(hit);
    }
  }
  if (!best) return std::nullopt;
  return best->voxel;
}

QPointF ResonanceVolumeView::widgetPosOfVoxel(const VoxelIndex& v) const {
  vtkRenderer* renderer = vtk_->renderer();
  renderer->SetWorldPoint(v.expert * geometry_.spacing[0], v.moe_layer * geometry_.spacing[1],
                          v.slice * geometry_.spacing[2], 1.0);
  renderer->WorldToDisplay();
  const double* d = renderer->GetDisplayPoint();
  return vtk_->fromDisplay(d[0], d[1]);
}

void ResonanceVolumeView::onVtkClicked(const QPoint& pos, Qt::MouseButton button) {
  if (button != Qt::LeftButton) return;
  const auto voxel = voxelAt(pos);
  if (!voxel) return;
  selectVoxel(*voxel);
  Q_EMIT voxelSelected(volume_.layerId(voxel->moe_layer), voxel->expert, voxel->slice);
}

bool ResonanceVolumeView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == vtk_ && event->type() == QEvent::MouseMove) {
    auto* me = static_cast<QMouseEvent*>(event);
    if (me->buttons() == Qt::NoButton) {
      if (const auto voxel = voxelAt(me->position().toPoint())) {
        const float value = volume_.value(voxel->slice, voxel->moe_layer, voxel->expert);
        info_label_->setText(describe(*voxel));
        Q_EMIT voxelHovered(volume_.layerId(voxel->moe_layer), voxel->expert, voxel->slice, value);
      }
    }
  } else if (watched == vtk_ && event->type() == QEvent::KeyPress) {
    auto* ke = static_cast<QKeyEvent*>(event);
    if (ke->key() == Qt::Key_PageUp || ke->key() == Qt::Key_PageDown) {
      setSliceIndex(slice_index_ + (ke->key() == Qt::Key_PageUp ? 1 : -1));
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

double ResonanceVolumeView::lastRenderMs() const {
  return vtk_->lastRenderMs();
}

QImage ResonanceVolumeView::renderImage() {
  return vtk_->grabFramebuffer();
}

bool ResonanceVolumeView::exportPng(const QString& path) {
  const QImage image = renderImage();
  return !image.isNull() && image.save(path, "PNG");
}

bool ResonanceVolumeView::exportSvg(const QString& path) {
  const QImage image = renderImage();
  if (image.isNull()) return false;
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setSize(image.size());
  generator.setViewBox(QRect(QPoint(0, 0), image.size()));
  generator.setTitle(tr("Resonance volume"));
  generator.setDescription(tr("%1 x %2 layers x %3 experts")
                               .arg(volume_.slices())
                               .arg(volume_.layers())
                               .arg(volume_.experts()));
  QPainter painter;
  if (!painter.begin(&generator)) return false;
  painter.drawImage(QPoint(0, 0), image);
  painter.setPen(Qt::white);
  painter.drawText(QRect(8, 8, image.width() - 16, 20), Qt::AlignLeft | Qt::AlignTop,
                   tr("x: expert, y: layer, z: %1").arg(volume_.sliceAxisTitle()));
  return painter.end();
}

}  // namespace mote::widgets
