#pragma once
// A `mote-engine serve` child process on 127.0.0.1 for one client (CLI or GUI): random port
// (--port 0, parsed from its "listening on http://HOST:PORT" line), random API key passed in a
// 0600 temp file (removed as soon as the engine listens, since it has read the key by then),
// stopped (SIGTERM, then SIGKILL after a grace period) by the destructor. The child gets SIGTERM
// if this process dies (PR_SET_PDEATHSIG), runs in its own process group (a terminal's Ctrl-C
// reaches only us) and its stderr is kept for log_tail().
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sessions/engine_client.h"

namespace mote::sessions {

struct LocalEngineOptions {
  std::filesystem::path engine_executable;  // empty: find_engine_executable()
  std::filesystem::path model_dir;
  // e.g. {"--dtype", "bf16", "--threads", "2"}; not --model/--host/--port/--api-key-file.
  std::vector<std::string> extra_args;
  std::chrono::milliseconds start_timeout{120000};  // until healthy (model load included)
  bool log_requests = false;  // false: --quiet (the log tail keeps startup messages and errors)
};

class LocalEngine {
 public:
  // Starts the engine and waits until it listens and /mote/v1/health is ok. Throws EngineError
  // (kEngineDied with the last lines of its stderr) if it exits or times out first.
  static std::unique_ptr<LocalEngine> start(const LocalEngineOptions& options);
  ~LocalEngine();  // stop()
  LocalEngine(const LocalEngine&) = delete;
  LocalEngine& operator=(const LocalEngine&) = delete;

  const EngineEndpoint& endpoint() const { return endpoint_; }
  // A client of this engine whose connection failures, once the child has exited, become
  // EngineError kEngineDied naming its exit status and log tail (instead of "connection
  // refused"). The client must not outlive this LocalEngine.
  EngineClient client(EngineClientOptions options = {});
  // False once the child has exited (reaps it without blocking). Thread-safe.
  bool running();
  int pid() const { return pid_; }
  // "is running", "exited with status 1", "was killed by signal 9 (Killed)". Thread-safe.
  std::string exit_description();
  // The last `max_lines` lines the engine wrote to stderr (for error messages; the last 200 are
  // kept). Thread-safe.
  std::string log_tail(std::size_t max_lines = 40) const;
  // Idempotent; also removes the key file.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  LocalEngine() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  EngineEndpoint endpoint_;
  int pid_ = -1;
};

// mote-engine next to the running executable (build/bin), else on PATH. Throws EngineError
// (kEngineDied) naming both places when there is none.
std::filesystem::path find_engine_executable();

}  // namespace mote::sessions
