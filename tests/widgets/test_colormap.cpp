// Colour maps: tables reproduce the published anchors (matplotlib viridis/magma, Moreland's
// cool-warm) and agree with VTK's own implementation of Moreland's diverging interpolation.
#include <catch2/catch.hpp>

#include <vtkColorTransferFunction.h>
#include <vtkNew.h>

#include <cmath>

#include "widgets/colormap.h"

using mote::widgets::Colormap;
using mote::widgets::RgbF;

namespace {

// Largest difference in 8-bit levels between a table entry and a published float colour.
int levelError(QRgb rgb, double r, double g, double b) {
  return std::max({std::abs(qRed(rgb) - static_cast<int>(std::lround(r * 255))),
                   std::abs(qGreen(rgb) - static_cast<int>(std::lround(g * 255))),
                   std::abs(qBlue(rgb) - static_cast<int>(std::lround(b * 255)))});
}

// Relative luminance Y of an sRGB colour (linearised, Rec. 709 weights).
double luminance(QRgb rgb) {
  auto linear = [](int c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(qRed(rgb)) + 0.7152 * linear(qGreen(rgb)) + 0.0722 * linear(qBlue(rgb));
}

}  // namespace

TEST_CASE("colormap: viridis and magma reproduce matplotlib's published tables",
          "[widgets][colormap]") {
  const auto& viridis = Colormap::viridis().table();
  // Anchors are exact (to 8-bit rounding).
  CHECK(levelError(viridis[0], 0.267004, 0.004874, 0.329415) == 0);
  CHECK(levelError(viridis[128], 0.127568, 0.566949, 0.550556) == 0);
  CHECK(levelError(viridis[255], 0.993248, 0.906157, 0.143936) == 0);
  // Entries between anchors (not in the source): within one level of matplotlib's table.
  CHECK(levelError(viridis[13], 0.280894, 0.078907, 0.402329) <= 1);
  CHECK(levelError(viridis[100], 0.166617, 0.463708, 0.558119) <= 1);
  CHECK(levelError(viridis[250], 0.945636, 0.899815, 0.112838) <= 1);

  const auto& magma = Colormap::magma().table();
  CHECK(levelError(magma[0], 0.001462, 0.000466, 0.013866) == 0);
  CHECK(levelError(magma[255], 0.987053, 0.991438, 0.749504) == 0);
  CHECK(levelError(magma[13], 0.028123, 0.023201, 0.108787) <= 1);
  CHECK(levelError(magma[100], 0.537755, 0.156894, 0.506551) <= 1);
  CHECK(levelError(magma[250], 0.988717, 0.955742, 0.712242) <= 1);

  // Perceptually uniform sequential maps: luminance rises monotonically.
  for (const Colormap* map : {&Colormap::viridis(), &Colormap::magma()}) {
    for (int i = 1; i < Colormap::kSize; ++i) {
      INFO(map->name().toStdString() << " entry " << i);
      CHECK(luminance(map->table()[i]) >= luminance(map->table()[i - 1]) - 1e-3);
    }
  }
}

TEST_CASE("colormap: cool-warm is Moreland's map and matches VTK's diverging space",
          "[widgets][colormap]") {
  const Colormap& coolWarm = Colormap::coolWarm();
  CHECK(coolWarm.diverging());
  // Moreland's published end points and white-ish midpoint (his table: 0.865 at 0.5).
  CHECK(coolWarm.table().front() == qRgb(59, 76, 192));
  CHECK(coolWarm.table().back() == qRgb(180, 4, 38));
  const QRgb mid = coolWarm.rgb(0.5);
  CHECK(std::abs(qRed(mid) - 221) <= 1);
  CHECK(std::abs(qGreen(mid) - 221) <= 1);
  CHECK(std::abs(qBlue(mid) - 221) <= 1);

  vtkNew<vtkColorTransferFunction> vtk;
  vtk->SetColorSpaceToDiverging();
  vtk->AddRGBPoint(0.0, 59 / 255.0, 76 / 255.0, 192 / 255.0);
  vtk->AddRGBPoint(1.0, 180 / 255.0, 4 / 255.0, 38 / 255.0);
  int worst = 0;
  for (int i = 0; i <= 32; ++i) {
    const double t = i / 32.0;
    double rgb[3];
    vtk->GetColor(t, rgb);
    worst = std::max(worst, levelError(coolWarm.rgb(t), rgb[0], rgb[1], rgb[2]));
  }
  INFO("max deviation from VTK's Moreland interpolation: " << worst << " levels");
  CHECK(worst <= 2);
}

TEST_CASE("colormap: lookup by name and value mapping", "[widgets][colormap]") {
  CHECK(Colormap::byName(QStringLiteral("Viridis")) == &Colormap::viridis());
  CHECK(Colormap::byName(QStringLiteral("magma")) == &Colormap::magma());
  CHECK(Colormap::byName(QStringLiteral("coolwarm")) == &Colormap::coolWarm());
  CHECK(Colormap::byName(QStringLiteral("jet")) == nullptr);
  const Colormap& v = Colormap::viridis();
  CHECK(v.rgb(-1.0) == v.table().front());
  CHECK(v.rgb(2.0) == v.table().back());
  CHECK(v.rgb(std::nan("")) == v.table().front());
  CHECK(v.rgbForValue(5.0, 0.0, 10.0) == v.rgb(0.5));
  CHECK(v.tableImage().width() == Colormap::kSize);
}
