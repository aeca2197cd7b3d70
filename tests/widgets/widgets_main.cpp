// Catch2 main for the widget tests: one QApplication for the whole binary (widgets need it).
// Run under xvfb-run (scripts/test does); VTK crashes on QT_QPA_PLATFORM=offscreen.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  // catch_discover_tests lists the tests at build time, usually without a display: listing
  // creates no widget, so the offscreen platform is enough there (and only there).
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::strncmp(argv[i], "--list", 6) == 0;
  if (listing && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY") &&
      !std::getenv("QT_QPA_PLATFORM")) {
    setenv("QT_QPA_PLATFORM", "offscreen", 1);
  }
  QApplication app(argc, argv);
  return Catch::Session().run(argc, argv);
}
