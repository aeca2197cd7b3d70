#include "widgets/colormap.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>

namespace mote::widgets {
namespace {

struct Anchor {
  int index;  // position in the published 256-entry table
  double r, g, b;
};

// viridis: matplotlib _viridis_data[i] for i = 0, 8, ..., 248, 255
constexpr Anchor kViridisAnchors[] = {
    {0, 0.267004, 0.004874, 0.329415},   {8, 0.277018, 0.050344, 0.375715},
    {16, 0.282327, 0.094955, 0.417331},  {24, 0.282884, 0.135920, 0.453427},
    {32, 0.278826, 0.175490, 0.483397},  {40, 0.270595, 0.214069, 0.507052},
    {48, 0.258965, 0.251537, 0.524736},  {56, 0.244972, 0.287675, 0.537260},
    {64, 0.229739, 0.322361, 0.545706},  {72, 0.214298, 0.355619, 0.551184},
    {80, 0.199430, 0.387607, 0.554642},  {88, 0.185556, 0.418570, 0.556753},
    {96, 0.172719, 0.448791, 0.557885},  {104, 0.160665, 0.478540, 0.558115},
    {112, 0.149039, 0.508051, 0.557250}, {120, 0.137770, 0.537492, 0.554906},
    {128, 0.127568, 0.566949, 0.550556}, {136, 0.120565, 0.596422, 0.543611},
    {144, 0.120638, 0.625828, 0.533488}, {152, 0.132268, 0.655014, 0.519661},
    {160, 0.157851, 0.683765, 0.501686}, {168, 0.196571, 0.711827, 0.479221},
    {176, 0.246070, 0.738910, 0.452024}, {184, 0.304148, 0.764704, 0.419943},
    {192, 0.369214, 0.788888, 0.382914}, {200, 0.440137, 0.811138, 0.340967},
    {208, 0.515992, 0.831158, 0.294279}, {216, 0.595839, 0.848717, 0.243329},
    {224, 0.678489, 0.863742, 0.189503}, {232, 0.762373, 0.876424, 0.137064},
    {240, 0.845561, 0.887322, 0.099702}, {248, 0.926106, 0.897330, 0.104071},
    {255, 0.993248, 0.906157, 0.143936},
};

// magma: matplotlib _magma_data[i] for i = 0, 8, ..., 248, 255
constexpr Anchor kMagmaAnchors[] = {
    {0, 0.001462, 0.000466, 0.013866},   {8, 0.013708, 0.011771, 0.068667},
    {16, 0.039608, 0.031090, 0.133515},  {24, 0.074257, 0.052017, 0.202660},
    {32, 0.113094, 0.065492, 0.276784},  {40, 0.159018, 0.068354, 0.352688},
    {48, 0.211718, 0.061992, 0.418647},  {56, 0.265447, 0.060237, 0.461840},
    {64, 0.316654, 0.071690, 0.485380},  {72, 0.366012, 0.090314, 0.497960},
    {80, 0.414709, 0.110431, 0.504662},  {88, 0.463508, 0.129893, 0.507652},
    {96, 0.512831, 0.148179, 0.507648},  {104, 0.562866, 0.165368, 0.504692},
    {112, 0.613617, 0.181811, 0.498536}, {120, 0.664915, 0.198075, 0.488836},
    {128, 0.716387, 0.214982, 0.475290}, {136, 0.767398, 0.233705, 0.457755},
    {144, 0.816914, 0.255895, 0.436461}, {152, 0.863320, 0.283729, 0.412403},
    {160, 0.904281, 0.319610, 0.388137}, {168, 0.937221, 0.364929, 0.368567},
    {176, 0.960949, 0.418323, 0.359630}, {184, 0.976690, 0.476226, 0.364466},
    {192, 0.986700, 0.535582, 0.382210}, {200, 0.992785, 0.594891, 0.410283},
    {208, 0.996096, 0.653659, 0.446213}, {216, 0.997325, 0.711848, 0.488154},
    {224, 0.996898, 0.769591, 0.534892}, {232, 0.995131, 0.827052, 0.585701},
    {240, 0.992440, 0.884330, 0.640099}, {248, 0.989434, 0.941470, 0.697519},
    {255, 0.987053, 0.991438, 0.749504},
};

int toByte(double v) {
  return std::clamp(static_cast<int>(std::lround(v * 255.0)), 0, 255);
}

QRgb toRgb(const RgbF& c) {
  return qRgb(toByte(c.r), toByte(c.g), toByte(c.b));
}

// Cubic Hermite interpolation through the anchors, tangents by finite differences over the
// neighbouring anchors (non-uniform spacing allowed: the last interval is 7 entries wide).
std::array<QRgb, Colormap::kSize> tableFromAnchors(std::span<const Anchor> anchors) {
  const auto n = anchors.size();
  auto component = [&](std::size_t k, int c) {
    const Anchor& a = anchors[k];
    return c == 0 ? a.r : c == 1 ? a.g : a.b;
  };
  auto slope = [&](std::size_t k, int c) {
    const std::size_t lo = k == 0 ? 0 : k - 1;
    const std::size_t hi = k + 1 == n ? k : k + 1;
    return (component(hi, c) - component(lo, c)) / (anchors[hi].index - anchors[lo].index);
  };
  std::array<QRgb, Colormap::kSize> table{};
  std::size_t k = 0;
  for (int i = 0; i < Colormap::kSize; ++i) {
    while (k + 2 < n && i > anchors[k + 1].index) ++k;
    const double h = anchors[k + 1].index - anchors[k].index;
    const double t = (i - anchors[k].index) / h;
    const double t2 = t * t, t3 = t2 * t;
    const double h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + t;
    const double h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
    double rgb[3];
    for (int c = 0; c < 3; ++c) {
      rgb[c] = h00 * component(k, c) + h10 * h * slope(k, c) + h01 * component(k + 1, c) +
               h11 * h * slope(k + 1, c);
    }
    table[static_cast<std::size_t>(i)] = toRgb({rgb[0], rgb[1], rgb[2]});
  }
  return table;
}

// --- Moreland's Msh space (sRGB -> linear RGB -> XYZ (D65) -> CIELAB -> Msh) ---------------

struct Vec3 {
  double x = 0, y = 0, z = 0;
};

constexpr double kWhiteX = 0.9505, kWhiteY = 1.0, kWhiteZ = 1.089;  // D65, as Moreland uses

double srgbToLinear(double c) {
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double linearToSrgb(double c) {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
}
double labF(double t) {
  return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0;
}
double labFInverse(double f) {
  const double t = f * f * f;
  return t > 0.008856 ? t : (f - 16.0 / 116.0) / 7.787;
}

Vec3 rgbToLab(const RgbF& c) {
  const double r = srgbToLinear(c.r), g = srgbToLinear(c.g), b = srgbToLinear(c.b);
  const double x = 0.4124 * r + 0.3576 * g + 0.1805 * b;
  const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const double z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
  const double fx = labF(x / kWhiteX), fy = labF(y / kWhiteY), fz = labF(z / kWhiteZ);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

RgbF labToRgb(const Vec3& lab) {
  const double fy = (lab.x + 16.0) / 116.0;
  const double fx = fy + lab.y / 500.0, fz = fy - lab.z / 200.0;
  const double x = kWhiteX * labFInverse(fx), y = kWhiteY * labFInverse(fy),
               z = kWhiteZ * labFInverse(fz);
  const double r = 3.2406 * x - 1.5372 * y - 0.4986 * z;
  const double g = -0.9689 * x + 1.8758 * y + 0.0415 * z;
  const double b = 0.0557 * x - 0.2040 * y + 1.0570 * z;
  auto out = [](double v) { return std::clamp(linearToSrgb(std::clamp(v, 0.0, 1.0)), 0.0, 1.0); };
  return {out(r), out(g), out(b)};
}

Vec3 labToMsh(const Vec3& lab) {
  const double m = std::sqrt(lab.x * lab.x + lab.y * lab.y + lab.z * lab.z);
  const double s = m > 0 ? std::acos(std::clamp(lab.x / m, -1.0, 1.0)) : 0.0;
  const double h = std::atan2(lab.z, lab.y);
  return {m, s, h};
}

Vec3 mshToLab(const Vec3& msh) {
  return {msh.x * std::cos(msh.y), msh.x * std::sin(msh.y) * std::cos(msh.z),
          msh.x * std::sin(msh.y) * std::sin(msh.z)};
}

// Hue of an unsaturated colour placed next to a saturated one (Moreland, section 5).
double adjustHue(const Vec3& saturated, double unsaturatedM) {
  if (saturated.x >= unsaturatedM) return saturated.z;
  const double spin = saturated.y *
                      std::sqrt(unsaturatedM * unsaturatedM - saturated.x * saturated.x) /
                      (saturated.x * std::sin(saturated.y));
  return saturated.z > -std::numbers::pi / 3 ? saturated.z + spin : saturated.z - spin;
}

std::array<QRgb, Colormap::kSize> coolWarmTable() {
  // Moreland's published end points, 8-bit sRGB.
  const RgbF cool{59 / 255.0, 76 / 255.0, 192 / 255.0};
  const RgbF warm{180 / 255.0, 4 / 255.0, 38 / 255.0};
  std::array<QRgb, Colormap::kSize> table{};
  for (int i = 0; i < Colormap::kSize; ++i) {
    table[static_cast<std::size_t>(i)] =
        toRgb(morelandDiverging(cool, warm, i / double(Colormap::kSize - 1)));
  }
  return table;
}

}  // namespace

RgbF morelandDiverging(const RgbF& low, const RgbF& high, double t) {
  Vec3 msh1 = labToMsh(rgbToLab(low));
  Vec3 msh2 = labToMsh(rgbToLab(high));
  t = std::clamp(t, 0.0, 1.0);
  // Distinct saturated end points: pass through an unsaturated (white) midpoint.
  if (msh1.y > 0.05 && msh2.y > 0.05 && std::abs(msh1.z - msh2.z) > std::numbers::pi / 3) {
    const double mid = std::max({msh1.x, msh2.x, 88.0});
    if (t < 0.5) {
      msh2 = {mid, 0.0, 0.0};
      t = 2 * t;
    } else {
      msh1 = {mid, 0.0, 0.0};
      t = 2 * t - 1;
    }
  }
  if (msh1.y < 0.05 && msh2.y > 0.05) {
    msh1.z = adjustHue(msh2, msh1.x);
  } else if (msh2.y < 0.05 && msh1.y > 0.05) {
    msh2.z = adjustHue(msh1, msh2.x);
  }
  const Vec3 msh{(1 - t) * msh1.x + t * msh2.x, (1 - t) * msh1.y + t * msh2.y,
                 (1 - t) * msh1.z + t * msh2.z};
  return labToRgb(mshToLab(msh));
}

const Colormap& Colormap::viridis() {
  static const Colormap map("viridis", Kind::kSequential, tableFromAnchors(kViridisAnchors));
  return map;
}

const Colormap& Colormap::magma() {
  static const Colormap map("magma", Kind::kSequential, tableFromAnchors(kMagmaAnchors));
  return map;
}

const Colormap& Colormap::coolWarm() {
  static const Colormap map("coolwarm", Kind::kDiverging, coolWarmTable());
  return map;
}

const Colormap* Colormap::byName(const QString& name) {
  const QString key = name.trimmed().toLower();
  if (key == QLatin1String("viridis")) return &viridis();
  if (key == QLatin1String("magma")) return &magma();
  if (key == QLatin1String("coolwarm") || key == QLatin1String("cool-warm")) return &coolWarm();
  return nullptr;
}

QStringList Colormap::names() {
  return {QStringLiteral("viridis"), QStringLiteral("magma"), QStringLiteral("coolwarm")};
}

QRgb Colormap::rgb(double t) const {
  if (!(t > 0.0)) return table_.front();  // also NaN
  if (t >= 1.0) return table_.back();
  return table_[static_cast<std::size_t>(std::lround(t * (kSize - 1)))];
}

QRgb Colormap::rgbForValue(double value, double low, double high) const {
  if (!(high > low)) return rgb(0.5);
  return rgb((value - low) / (high - low));
}

QImage Colormap::tableImage() const {
  QImage image(kSize, 1, QImage::Format_RGB32);
  auto* line = reinterpret_cast<QRgb*>(image.scanLine(0));
  std::copy(table_.begin(), table_.end(), line);
  return image;
}

}  // namespace mote::widgets
