#pragma once
// Colours for categories (answer classes) in charts: the Okabe-Ito palette, distinguishable with
// the common colour-vision deficiencies, then Tableau 10 for more than eight classes.
#include <QColor>

namespace mote::widgets {

// The colour of category `index` (wraps around after 16).
QColor categoricalColor(int index);

}  // namespace mote::widgets
