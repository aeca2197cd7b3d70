// mote-workbench: the Qt 6 desktop workbench. Starts a local engine on the shipped demo model
// (or --model DIR), or connects to --engine URL; the last connection is remembered.
#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QTextStream>

#include <cstdio>

#include "app/workbench/analysis_docks.h"
#include "app/workbench/main_window.h"
#include "widgets/models/session_controller.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("MoTE");
  QApplication::setApplicationName("MoTE Workbench");
  QApplication::setApplicationVersion("0.1.0");

  QCommandLineParser parser;
  parser.setApplicationDescription(
      "MoTE Workbench: look inside Mixture-of-Experts models and tune their experts.");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption model({"m", "model"}, "Start a local engine on this model directory.", "DIR");
  QCommandLineOption engine({"e", "engine"}, "Connect to a running engine at this URL.", "URL");
  QCommandLineOption key_file("api-key-file", "File holding the remote engine's API key.", "FILE");
  parser.addOptions({model, engine, key_file});
  parser.addPositionalArgument("session", "A session file (*.mote) to open.", "[SESSION]");
  parser.process(app);

  std::optional<mote::workbench::ConnectionTarget> target;
  if (parser.isSet(model) && parser.isSet(engine)) {
    std::fprintf(stderr, "mote-workbench: give either --model or --engine, not both\n");
    return 2;
  }
  if (parser.isSet(model)) {
    target.emplace();
    target->model_dir = parser.value(model);
    if (!QFile::exists(target->model_dir + "/config.json")) {
      std::fprintf(stderr, "mote-workbench: %s is not a model directory (no config.json)\n",
                   qPrintable(target->model_dir));
      return 2;
    }
  } else if (parser.isSet(engine)) {
    target.emplace();
    target->kind = mote::workbench::ConnectionTarget::Kind::kRemote;
    target->url = parser.value(engine);
    if (parser.isSet(key_file)) {
      QFile f(parser.value(key_file));
      if (!f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "mote-workbench: cannot read the API key file %s: %s\n",
                     qPrintable(f.fileName()), qPrintable(f.errorString()));
        return 2;
      }
      target->api_key = QString::fromUtf8(f.readAll()).trimmed();
    }
  }

  mote::workbench::MainWindow window;
  window.show();
  window.connectAtStartup(target);
  // A session that cannot be opened is reported in the status bar; the window stays usable.
  if (!parser.positionalArguments().isEmpty())
    window.analysis()->session()->openSession(parser.positionalArguments().first());
  return app.exec();
}
