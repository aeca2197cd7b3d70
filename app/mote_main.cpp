// mote: the experiments CLI (sessions/cli/). This file only wires the process to it: arguments,
// standard streams, and Ctrl+C / SIGTERM, which raise the cancel flag so a run stops after
// recording what it has (the next invocation resumes). A second Ctrl+C ends the process at once;
// nothing is lost either way, since every answer is committed in its own transaction.
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "sessions/cli/commands.h"
#include "sessions/cli/progress_bar.h"

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) {
  g_cancel.store(true);  // lock-free atomic: async-signal-safe
}

void install_signal_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the first signal asks for a clean stop, a second one gets the default action.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed pipe (mote runs ... | head) is a write error, not a crash.
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(std::atomic<bool>::is_always_lock_free);
  install_signal_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);
  mote::cli::CliContext ctx{std::cout, std::cerr};
  ctx.err_is_terminal = mote::cli::is_terminal(2);
  ctx.terminal_columns = mote::cli::terminal_width(2);
  ctx.cancel = &g_cancel;
  const int code = mote::cli::run_cli(args, ctx);
  std::cout.flush();
  return code;
}
