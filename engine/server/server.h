#pragma once
// The engine's HTTP server (cpp-httplib): OpenAI-compatible routes plus /mote/v1/, engine worker
// threads batched by one scheduler, bearer-key auth and request limits. Usable in-process (tests)
// or through `mote-engine serve` (cmd_serve.cpp), which adds signal handling.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/server/server_model.h"
#include "protocol/tuning_spec.h"
#include "protocol/wire_request.h"

namespace mote::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                     // 0: any free port
  std::optional<std::string> api_key;  // required for a non-loopback host
  RequestLimits limits;
  int http_threads = 32;  // connections served at once (requests beyond wait for a thread)
  // Requests in progress at once, and the most sequences one forward step runs: their decode
  // steps are batched together (continuous batching, engine/model/batch_scheduler.h).
  int max_batch = 32;
  bool log_requests = true;
  // Tunings served as model ids "ID:NAME" from the start (`serve --tuned NAME=FILE`).
  std::map<std::string, TuningSpec> tunings;
};

class Server {
 public:
  Server(std::shared_ptr<ModelBundle> model, ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket (UsageError when the bind policy refuses the host, Error when the port is
  // taken) and returns the port.
  int bind();
  // Serves until stop(); call bind() first.
  void listen();
  // bind() + listen() on a background thread (tests); returns the port.
  int start();
  // Cancels running generations (their clients get a clean end), answers queued requests with
  // 503, then stops listening. Safe from any thread, idempotent.
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mote::server
