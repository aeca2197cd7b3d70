// Catch2 main for the widget tests: one QApplication for the whole binary (widgets need it).
// Run under xvfb-run (scripts/test does); VTK crashes on QT_QPA_PLATFORM=offscreen.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  return Catch::Session().run(argc, argv);
}
