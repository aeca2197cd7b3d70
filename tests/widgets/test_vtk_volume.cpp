// The 3D resonance view: data picking, the QOpenGLWidget <-> VTK adapter rendering under Xvfb
// (llvmpipe), voxel clicks and the 512 x 58 x 256 timing.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QSet>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <random>

#include <vtkGenericOpenGLRenderWindow.h>

#include "widgets/colormap.h"
#include "widgets/models/volume_data.h"
#include "widgets/volume_view.h"
#include "widgets/vtk_opengl_widget.h"

using mote::ModelGeometry;
using mote::RoutingRow;
using mote::widgets::pickVoxel;
using mote::widgets::ResonanceVolume;
using mote::widgets::ResonanceVolumeView;
using mote::widgets::VolumeGeometry;
using mote::widgets::VoxelIndex;

namespace {

ModelGeometry smallGeometry() {
  ModelGeometry g;
  g.moe_layers = {1, 2, 3, 4, 5, 6};
  g.n_experts = 16;
  g.top_k = 2;
  return g;
}

bool anyVoxel(const VoxelIndex&, float v) {
  return v != 0.0f;
}

struct ImageStats {
  double variance = 0.0;
  int distinct = 0;
};

ImageStats stats(const QImage& image) {
  const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
  double sum = 0.0, sum2 = 0.0;
  QSet<QRgb> colors;
  const auto n = static_cast<double>(rgb.width()) * rgb.height();
  for (int y = 0; y < rgb.height(); ++y)
    for (int x = 0; x < rgb.width(); ++x) {
      const QRgb c = rgb.pixel(x, y);
      const double l = 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c);
      sum += l;
      sum2 += l * l;
      if (colors.size() < 100000) colors.insert(c & 0xfcfcfc);
    }
  const double mean = sum / n;
  return {sum2 / n - mean * mean, static_cast<int>(colors.size())};
}

// Pixels within `tolerance` (max channel difference) of `color`.
int countNear(const QImage& image, QColor color, int tolerance) {
  const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
  int count = 0;
  for (int y = 0; y < rgb.height(); ++y)
    for (int x = 0; x < rgb.width(); ++x) {
      const QRgb c = rgb.pixel(x, y);
      if (std::abs(qRed(c) - color.red()) <= tolerance &&
          std::abs(qGreen(c) - color.green()) <= tolerance &&
          std::abs(qBlue(c) - color.blue()) <= tolerance)
        ++count;
    }
  return count;
}

// Routing of `tokens` tokens: each token picks top_k distinct random experts in every layer.
std::vector<RoutingRow> randomRouting(const ModelGeometry& g, int tokens, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<RoutingRow> rows(static_cast<std::size_t>(tokens));
  for (int t = 0; t < tokens; ++t) {
    auto& row = rows[static_cast<std::size_t>(t)];
    row.position = t;
    row.is_prompt = t < tokens / 4;
    for (std::size_t m = 0; m < g.n_moe_layers(); ++m) {
      std::vector<int> chosen;
      while (static_cast<int>(chosen.size()) < g.top_k) {
        const int e = static_cast<int>(rng() % static_cast<std::uint32_t>(g.n_experts));
        if (std::find(chosen.begin(), chosen.end(), e) == chosen.end()) chosen.push_back(e);
      }
      for (int e : chosen) {
        row.ids.push_back(e);
        row.weights.push_back(0.5f);
      }
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("volume from routing puts each selection at (token, layer, expert)", "[vtk][volume]") {
  const auto g = smallGeometry();
  std::vector<RoutingRow> rows(2);
  for (auto& r : rows) {
    r.ids.assign(g.n_moe_layers() * 2, -1);
    r.weights.assign(g.n_moe_layers() * 2, 0.0f);
  }
  rows[0].ids[0] = 3;  // token 0, MoE layer 0 (model layer 1), expert 3
  rows[0].weights[0] = 0.25f;
  rows[1].ids[2 * 4 + 1] = 15;  // token 1, MoE layer 4, expert 15
  rows[1].weights[2 * 4 + 1] = 0.75f;
  const auto counts = ResonanceVolume::fromRouting(rows, g);
  CHECK(counts.slices() == 2);
  CHECK(counts.layers() == 6);
  CHECK(counts.experts() == 16);
  CHECK(counts.value(0, 0, 3) == 1.0f);
  CHECK(counts.value(1, 4, 15) == 1.0f);
  CHECK(counts.range()[1] == 1.0f);
  CHECK(counts.layerId(4) == 5);
  const auto weighted = ResonanceVolume::fromRouting(rows, g, true);
  CHECK(weighted.value(1, 4, 15) == 0.75f);
  rows[1].ids.pop_back();
  CHECK_THROWS_AS(ResonanceVolume::fromRouting(rows, g), std::invalid_argument);
}

TEST_CASE("pickVoxel returns the first visible voxel along a ray", "[vtk][volume]") {
  ResonanceVolume v(4, {10, 11, 12}, 5);
  v.setValue(1, 2, 3, 1.0f);
  v.setValue(3, 2, 3, 2.0f);
  VolumeGeometry g;
  g.spacing = {1.0, 2.0, 0.5};
  // Along +z through expert 3, MoE layer 2 (world x = 3, y = 4): slice 1 comes first.
  auto hit = pickVoxel(v, g, {3.0, 4.0, -10.0}, {0.0, 0.0, 1.0}, anyVoxel);
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{1, 2, 3});
  // From the other side slice 3 is first.
  hit = pickVoxel(v, g, {3.0, 4.0, 10.0}, {0.0, 0.0, -1.0}, anyVoxel);
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{3, 2, 3});
  // A ray that passes next to the column misses.
  CHECK_FALSE(pickVoxel(v, g, {1.0, 4.0, -10.0}, {0.0, 0.0, 1.0}, anyVoxel));
  // Voxel edges: x in [2.5, 3.5) is expert 3.
  hit = pickVoxel(v, g, {3.45, 4.9, -1.0}, {0.0, 0.0, 1.0}, anyVoxel);
  REQUIRE(hit);
  CHECK(hit->voxel.expert == 3);
  // A slanted ray through the volume diagonal reaches (1, 2, 3).
  const std::array<double, 3> target{3.0, 4.0, 0.5};
  const std::array<double, 3> origin{-5.0, -3.0, -4.0};
  hit = pickVoxel(v, g, origin,
                  {target[0] - origin[0], target[1] - origin[1], target[2] - origin[2]}, anyVoxel);
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{1, 2, 3});
  // Opaque plane: every voxel of slice 2 is visible.
  hit = pickVoxel(v, g, {0.0, 0.0, -3.0}, {0.0, 0.0, 1.0},
                  [](const VoxelIndex& x, float) { return x.slice == 2; });
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{2, 0, 0});
  CHECK(hit->t == Approx(3.0 + 1.5 * 0.5));  // enters slice 2's cell at z = 0.75
}

TEST_CASE("intersectSlicePlane finds the voxel where a ray crosses a slice image",
          "[vtk][volume]") {
  ResonanceVolume v(4, {10, 11, 12}, 5);
  VolumeGeometry g;
  g.spacing = {1.0, 2.0, 0.5};
  // Slanted ray: crosses z = 1.0 (slice 2 centre) at x = 2.4 (expert 2), y = 3.1 (layer 2).
  const std::array<double, 3> at{2.4, 3.1, 1.0};
  const std::array<double, 3> dir{0.3, -0.2, 1.0};
  const std::array<double, 3> origin{at[0] - 2 * dir[0], at[1] - 2 * dir[1], at[2] - 2 * dir[2]};
  auto hit = mote::widgets::intersectSlicePlane(v, g, origin, dir, 2, 2);
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{2, 2, 2});
  CHECK(hit->t == Approx(2.0));
  // The same ray in its slab-entry cell would be expert 2 or a neighbour; the plane is exact.
  // Behind the origin and outside the volume: no hit.
  CHECK_FALSE(mote::widgets::intersectSlicePlane(v, g, at, dir, 2, 0));
  CHECK_FALSE(mote::widgets::intersectSlicePlane(v, g, {9.0, 0.0, -1.0}, {0, 0, 1}, 2, 1));
  // Along the layer axis.
  hit = mote::widgets::intersectSlicePlane(v, g, {1.2, -5.0, 0.4}, {0.0, 1.0, 0.0}, 1, 1);
  REQUIRE(hit);
  CHECK(hit->voxel == VoxelIndex{1, 1, 1});
}

TEST_CASE("VTK volume view renders the volume with transfer-function colours", "[vtk][render]") {
  const auto g = smallGeometry();
  ResonanceVolumeView view;
  view.resize(640, 520);
  view.setVolume(ResonanceVolume::fromRouting(randomRouting(g, 24, 7), g));
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));

  SECTION("volume mode: non-blank, transfer-function colours present") {
    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kVolume);
    const QImage image = view.renderImage();
    REQUIRE_FALSE(image.isNull());
    const auto s = stats(image);
    INFO("luminance variance " << s.variance << ", distinct colours " << s.distinct);
    CHECK(s.variance > 50.0);
    CHECK(s.distinct > 20);
    // All voxels are 1 = the top of the sequential map (magma's end) at opacity 0.9.
    const QColor top = mote::widgets::Colormap::magma().color(1.0);
    CHECK(countNear(image, top, 40) > 200);
  }
  SECTION("slice plane: the plane shows the lookup table's exact colours") {
    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kPlane);
    view.setSliceIndex(5);
    const QImage image = view.renderImage();
    const QColor top = mote::widgets::Colormap::magma().color(1.0);
    CHECK(countNear(image, top, 6) > 50);
    // Zero voxels of the plane are the dark plane colour, not the background.
    CHECK(countNear(image, QColor::fromRgbF(0.16f, 0.17f, 0.21f), 3) > 500);
  }
  SECTION("stacked slices render") {
    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kStackedSlices);
    const auto s = stats(view.renderImage());
    CHECK(s.variance > 50.0);
  }
}

TEST_CASE("clicking a voxel emits (layer, expert, token)", "[vtk][pick]") {
  const auto g = smallGeometry();
  ResonanceVolume v(8, g.moe_layers, g.n_experts, mote::widgets::VolumeSliceKind::kToken);
  v.setValue(2, 3, 11, 1.0f);  // token 2, model layer 4, expert 11
  v.setValue(6, 0, 1, 1.0f);   // token 6, model layer 1, expert 1
  v.setValue(5, 5, 14, 0.5f);  // token 5, model layer 6, expert 14
  ResonanceVolumeView view;
  view.resize(700, 600);
  view.setVolume(v);
  view.setDisplayMode(ResonanceVolumeView::DisplayMode::kVolume);
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  (void)view.renderImage();  // first frame: camera and viewport are final

  QSignalSpy spy(&view, &ResonanceVolumeView::voxelSelected);
  auto* gl = view.vtkWidget();
  for (const VoxelIndex target :
       {VoxelIndex{2, 3, 11}, VoxelIndex{6, 0, 1}, VoxelIndex{5, 5, 14}}) {
    const QPointF p = view.widgetPosOfVoxel(target);
    INFO("voxel token " << target.slice << " moe layer " << target.moe_layer << " expert "
                        << target.expert << " at " << p.x() << "," << p.y());
    REQUIRE(gl->rect().contains(p.toPoint()));
    spy.clear();
    QTest::mouseClick(gl, Qt::LeftButton, {}, p.toPoint());
    REQUIRE(spy.count() == 1);
    const auto args = spy.takeFirst();
    CHECK(args.at(0).toInt() == g.moe_layers[static_cast<std::size_t>(target.moe_layer)]);
    CHECK(args.at(1).toInt() == target.expert);
    CHECK(args.at(2).toInt() == target.slice);
  }
  // A click on empty space selects nothing.
  spy.clear();
  QTest::mouseClick(gl, Qt::LeftButton, {}, QPoint(3, 3));
  CHECK(spy.count() == 0);

  // On the slice plane every voxel is clickable, zero or not.
  view.setDisplayMode(ResonanceVolumeView::DisplayMode::kPlane);
  view.setSliceIndex(4);
  (void)view.renderImage();
  const VoxelIndex on_plane{4, 2, 7};
  QTest::mouseClick(gl, Qt::LeftButton, {}, view.widgetPosOfVoxel(on_plane).toPoint());
  REQUIRE(spy.count() == 1);
  const auto args = spy.takeFirst();
  CHECK(args.at(0).toInt() == 3);
  CHECK(args.at(1).toInt() == 7);
  CHECK(args.at(2).toInt() == 4);

  // A drag rotates the camera instead of selecting.
  const QPoint start = view.widgetPosOfVoxel(VoxelIndex{2, 3, 11}).toPoint();
  QTest::mousePress(gl, Qt::LeftButton, {}, start);
  QTest::mouseMove(gl, start + QPoint(60, 10));
  QTest::mouseRelease(gl, Qt::LeftButton, {}, start + QPoint(60, 10));
  CHECK(spy.count() == 0);
}

TEST_CASE("volume view exports PNG and SVG", "[vtk][export]") {
  const auto g = smallGeometry();
  ResonanceVolumeView view;
  view.resize(500, 400);
  view.setVolume(ResonanceVolume::fromRouting(randomRouting(g, 10, 3), g));
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  QTemporaryDir dir;
  const QString png = dir.filePath("volume.png"), svg = dir.filePath("volume.svg");
  REQUIRE(view.exportPng(png));
  REQUIRE(view.exportSvg(svg));
  QImage loaded(png);
  CHECK_FALSE(loaded.isNull());
  CHECK(stats(loaded).variance > 10.0);
  QSvgRenderer renderer(svg);
  CHECK(renderer.isValid());
}

TEST_CASE("build + draw time of a 512 x 58 x 256 volume", "[vtk][timing]") {
  const auto g = ModelGeometry::deepseek_r1();
  const auto rows = randomRouting(g, 512, 11);
  using Renderer = ResonanceVolumeView::VolumeRenderer;
  for (const Renderer renderer : {Renderer::kAuto, Renderer::kCpu, Renderer::kGpu}) {
    ResonanceVolumeView view;
    view.setVolumeRenderer(renderer);
    view.resize(1000, 750);
    view.show();
    REQUIRE(QTest::qWaitForWindowExposed(&view));
    (void)view.renderImage();

    QElapsedTimer total;
    total.start();
    auto volume = ResonanceVolume::fromRouting(rows, g);
    const double from_routing_ms = static_cast<double>(total.nsecsElapsed()) / 1e6;
    REQUIRE(volume.voxelCount() == 512u * 58u * 256u);
    view.setVolume(std::move(volume));
    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kVolume);
    const QImage first = view.renderImage();
    const double first_ms = static_cast<double>(total.nsecsElapsed()) / 1e6;
    const double first_render_ms = view.lastRenderMs();

    QElapsedTimer again;
    again.start();
    const QImage second = view.renderImage();
    const double second_ms = static_cast<double>(again.nsecsElapsed()) / 1e6;

    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kVolumeWithPlane);
    again.restart();
    (void)view.renderImage();
    const double plane_ms = static_cast<double>(again.nsecsElapsed()) / 1e6;

    // Interactive frames (what a drag renders: VTK lowers the sampling to reach the rate).
    view.setDisplayMode(ResonanceVolumeView::DisplayMode::kVolume);
    view.vtkWidget()->renderWindow()->SetDesiredUpdateRate(15.0);
    double interactive_ms = 0.0;
    for (int i = 0; i < 4; ++i) {
      again.restart();
      (void)view.renderImage();
      interactive_ms = static_cast<double>(again.nsecsElapsed()) / 1e6;
    }
    view.vtkWidget()->renderWindow()->SetDesiredUpdateRate(0.0001);

    const char* names[] = {"auto", "gpu", "cpu"};
    const auto active = view.activeVolumeRenderer();
    WARN("512x58x256 volume (7.6 M voxels), 1000x750 widget, "
         << names[static_cast<int>(renderer)] << " -> " << names[static_cast<int>(active)]
         << " ray casting on \"" << view.vtkWidget()->glRenderer().toStdString()
         << "\": routing->volume " << from_routing_ms << " ms, pipeline build "
         << view.lastBuildMs() << " ms, build + first frame " << first_ms << " ms (VTK Render "
         << first_render_ms << " ms), next frame " << second_ms << " ms, with slice plane "
         << plane_ms << " ms, interactive frame (15 fps requested) " << interactive_ms << " ms");
    CHECK(stats(first).variance > 10.0);
    CHECK(stats(second).variance > 10.0);
    if (renderer == Renderer::kAuto && view.vtkWidget()->isSoftwareRenderer())
      CHECK(active == Renderer::kCpu);
  }
}
