#pragma once
// Helpers for the `mote` CLI tests: temp dirs, the CLI in-process (run_cli on string streams) and
// the real executable as a child process.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sessions/cli/commands.h"

namespace mote::test {

class CliTempDir {
 public:
  explicit CliTempDir(const std::string& tag) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~CliTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  CliTempDir(const CliTempDir&) = delete;
  CliTempDir& operator=(const CliTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int code = -1;
  std::string out, err;
};

// The CLI in-process (no engine needed for the commands that do not run prompts).
inline CliResult run_cli_in_process(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  cli::CliContext ctx{out, err};
  std::atomic<bool> cancel{false};
  ctx.cancel = &cancel;
  CliResult r;
  r.code = cli::run_cli(args, ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Starts build/bin/mote with `args`, stdout/stderr to files in `dir`; returns the pid. Everything
// the child needs is prepared before fork(): the test process has threads, so the child may only
// make async-signal-safe calls until execv.
inline pid_t spawn_mote(const std::vector<std::string>& args, const std::filesystem::path& dir,
                        const std::string& tag) {
  const std::string exe = std::string(MOTE_BIN_DIR) + "/mote";
  const std::string out = (dir / (tag + ".out")).string(), err = (dir / (tag + ".err")).string();
  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) ::_exit(126);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

inline CliResult wait_mote(pid_t pid, const std::filesystem::path& dir, const std::string& tag) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(dir / (tag + ".out"));
  r.err = read_text(dir / (tag + ".err"));
  return r;
}

// Runs build/bin/mote to completion.
inline CliResult run_mote(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  static int counter = 0;
  const std::string tag = "mote-" + std::to_string(++counter);
  return wait_mote(spawn_mote(args, dir, tag), dir, tag);
}

}  // namespace mote::test
