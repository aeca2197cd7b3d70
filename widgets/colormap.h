#pragma once
// Perceptually uniform colour maps for heatmaps, colour bars and fTRI views.
//
// Each map is a 256-entry table computed once from published anchor values, never hand-tuned:
//  - "viridis" and "magma" (sequential, for counts): the anchors are matplotlib's published
//    tables (matplotlib/_cm_listed.py, van der Walt & Smith 2015) at every 8th entry plus the
//    last; the 256 entries are a cubic Hermite interpolation between them (max deviation from
//    the full published table: one 8-bit level).
//  - "coolwarm" (diverging, for differences and fTRI): Moreland's smooth cool-to-warm map
//    ("Diverging Color Maps for Scientific Visualization", ISVC 2009): the published end points
//    RGB (59, 76, 192) and (180, 4, 38) interpolated in Moreland's Msh space through a white-ish
//    midpoint (M = 88), the algorithm VTK implements as its "Diverging" colour space.
#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>
#include <array>

namespace mote::widgets {

class Colormap {
 public:
  enum class Kind { kSequential, kDiverging };
  static constexpr int kSize = 256;

  static const Colormap& viridis();
  static const Colormap& magma();
  static const Colormap& coolWarm();
  // "viridis", "magma", "coolwarm" (case-insensitive); nullptr for an unknown name.
  static const Colormap* byName(const QString& name);
  static QStringList names();

  const QString& name() const { return name_; }
  Kind kind() const { return kind_; }
  bool diverging() const { return kind_ == Kind::kDiverging; }

  // Colour of t in [0, 1] (clamped; NaN maps to t = 0). Nearest of the 256 entries.
  QRgb rgb(double t) const;
  QColor color(double t) const { return QColor::fromRgb(rgb(t)); }
  // Colour of `value` on the range [low, high] (low == high maps everything to the middle).
  QRgb rgbForValue(double value, double low, double high) const;
  const std::array<QRgb, kSize>& table() const { return table_; }
  // A kSize x 1 image of the table (left = 0), e.g. for scaling into a colour bar.
  QImage tableImage() const;

 private:
  Colormap(QString name, Kind kind, const std::array<QRgb, kSize>& table)
      : name_(std::move(name)), kind_(kind), table_(table) {}
  QString name_;
  Kind kind_;
  std::array<QRgb, kSize> table_;
};

// Building blocks, exposed for tests: colours as (gamma-encoded) sRGB components in [0, 1].
struct RgbF {
  double r = 0, g = 0, b = 0;
};
// Moreland's diverging interpolation between two sRGB colours at t in [0, 1] (Msh space).
RgbF morelandDiverging(const RgbF& low, const RgbF& high, double t);

}  // namespace mote::widgets
