#pragma once
// The `mote` subcommands. Each takes its arguments (without "mote <command>") and returns the
// process exit code; errors are thrown (UsageError -> 2, anything else -> 1, Interrupted -> 130)
// and turned into one line on stderr by run_cli().
#include <string>
#include <vector>

#include "sessions/cli/cli_common.h"

namespace mote::cli {

using Args = std::vector<std::string>;

// cmd_session.cpp
int cmd_new(const Args& args, CliContext& ctx);
int cmd_show(const Args& args, CliContext& ctx);
int cmd_runs(const Args& args, CliContext& ctx);
int cmd_results(const Args& args, CliContext& ctx);
// cmd_dataset.cpp: dataset add | list | show
int cmd_dataset(const Args& args, CliContext& ctx);
// cmd_run.cpp
int cmd_run(const Args& args, CliContext& ctx);
// cmd_label.cpp
int cmd_label(const Args& args, CliContext& ctx);
int cmd_answers(const Args& args, CliContext& ctx);
// cmd_ftri.cpp
int cmd_ftri(const Args& args, CliContext& ctx);
// cmd_eval.cpp
int cmd_eval(const Args& args, CliContext& ctx);
int cmd_control(const Args& args, CliContext& ctx);
int cmd_dose(const Args& args, CliContext& ctx);
// cmd_capability.cpp
int cmd_capability(const Args& args, CliContext& ctx);
// cmd_tsne.cpp
int cmd_tsne(const Args& args, CliContext& ctx);
// cmd_export.cpp
int cmd_export(const Args& args, CliContext& ctx);

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args&, CliContext&);
};
const std::vector<Command>& commands();

// The whole CLI: `args` without the program name. Never throws.
int run_cli(const Args& args, CliContext& ctx);

}  // namespace mote::cli
