#include "widgets/chart_palette.h"

#include <array>

namespace mote::widgets {

QColor categoricalColor(int index) {
  static constexpr std::array<QRgb, 16> kColors{
      // Okabe & Ito (2008), without black.
      0xe69f00, 0x56b4e9, 0x009e73, 0xd55e00, 0x0072b2, 0xcc79a7, 0xf0e442, 0x999999,
      // Tableau 10 (the ones not close to the above).
      0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0x9c755f};
  const auto i = static_cast<std::size_t>(index < 0 ? 0 : index) % kColors.size();
  return QColor::fromRgb(kColors[i]);
}

}  // namespace mote::widgets
