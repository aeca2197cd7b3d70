#pragma once
// Helpers shared by the GUI end-to-end tests: waiting on the event loop and telling a drawn
// screenshot from a blank one.
#include <QElapsedTimer>
#include <QImage>
#include <QTest>

#include <algorithm>
#include <functional>
#include <map>

namespace mote::test {

// Processes events until `done` holds or `timeout_ms` passed; returns `done()`.
inline bool waitFor(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (!done() && t.elapsed() < timeout_ms) QTest::qWait(20);
  return done();
}

// Share of pixels that differ from the most common colour: 0 for a blank grab.
inline double nonBackgroundShare(const QImage& image) {
  std::map<QRgb, int> histogram;
  for (int y = 0; y < image.height(); y += 2)
    for (int x = 0; x < image.width(); x += 2) ++histogram[image.pixel(x, y)];
  int most = 0, total = 0;
  for (const auto& [rgb, n] : histogram) {
    most = std::max(most, n);
    total += n;
  }
  return total ? 1.0 - static_cast<double>(most) / total : 0.0;
}

}  // namespace mote::test
