#pragma once
// A `mote-engine serve` child process on 127.0.0.1 for one client (CLI or GUI): random port
// (--port 0, parsed from its "listening on http://HOST:PORT" line), random API key passed in a
// 0600 temp file, stopped (SIGTERM, then SIGKILL after a grace period) by the destructor.
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
  std::vector<std::string> extra_args;  // e.g. {"--dtype", "bf16", "--threads", "2"}
  std::chrono::milliseconds start_timeout{120000};  // until "listening on" (model load included)
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
  // False once the child has exited (reaps it without blocking).
  bool running();
  int pid() const { return pid_; }
  // The last lines the engine wrote to stderr (for error messages).
  std::string log_tail() const;
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  LocalEngine() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  EngineEndpoint endpoint_;
  int pid_ = -1;
};

// mote-engine next to the running executable (build/bin), else on PATH. Throws EngineError.
std::filesystem::path find_engine_executable();

}  // namespace mote::sessions
