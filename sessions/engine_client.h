#pragma once
// The one path from the CLI and the GUI to an engine: HTTP (libcurl) to `mote-engine serve`,
// local or remote. Thread-compatible: one EngineClient per thread (each call uses its own curl
// handle, so separate clients may run concurrently against the same engine). The types it
// takes and returns are in sessions/engine_types.h.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/model_geometry.h"
#include "protocol/wire_model.h"
#include "protocol/wire_scan.h"
#include "sessions/engine_types.h"

namespace mote::sessions {

class EngineClient {
 public:
  explicit EngineClient(EngineEndpoint endpoint, EngineClientOptions options = {});
  const EngineEndpoint& endpoint() const { return endpoint_; }

  // GET /mote/v1/health: true if the engine answers "ok"; never throws, never retries.
  bool healthy() const;
  // The health answer itself ({"status": "ok", "queued": N, "running": N}). Errors: EngineError.
  nlohmann::json health() const;
  // GET /mote/v1/model. Errors: EngineError.
  ModelInfo model() const;

  // Streams a generation (SSE; always sends a "mote" object, so the answer reports the seed).
  // on_token is called on the calling thread for every token; a `cancel` flag raised by another
  // thread ends the request (EngineError kCancelled) within one token, or within about a second
  // while the request waits in the engine's queue. finish_reason "cancelled" without a raised
  // flag means the engine stopped mid-generation. Exceptions thrown by on_token abort the request
  // and propagate. Errors: EngineError; an `{"error": ...}` event inside a stream is kHttp with
  // the status that error has as a plain reply (500 engine_error, 503 shutting_down, ...).
  GenerationResult generate(const GenerationRequest& request,
                            const std::function<void(const TokenEvent&)>& on_token = {},
                            const std::atomic<bool>* cancel = nullptr) const;

  // POST /mote/v1/scan (max_tokens 0): activation maps of many prompts, one callback per
  // finished prompt (any order). The geometry is needed to shape the maps; an engine serving
  // another geometry is a kProtocol error. Prompts per call are limited by the engine's
  // --max-scan-prompts (limits.max_scan_prompts of model()). Cancellation as for generate().
  void scan(const std::vector<ScanPrompt>& prompts, const ScanOptions& options,
            const ModelGeometry& geometry, const std::function<void(const ScanResult&)>& on_result,
            const std::atomic<bool>* cancel = nullptr) const;

 private:
  EngineEndpoint endpoint_;
  EngineClientOptions options_;
};

}  // namespace mote::sessions
