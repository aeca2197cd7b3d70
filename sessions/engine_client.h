#pragma once
// The one path from the CLI and the GUI to an engine: HTTP (libcurl) to `mote-engine serve`,
// local or remote. Thread-compatible: one EngineClient per thread (each call uses its own curl
// handle, so separate clients may run concurrently against the same engine).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessions/activation_map.h"
#include "sessions/model_geometry.h"
#include "sessions/tuning_spec.h"

namespace mote::sessions {

// Why a call to the engine failed. The message always names the URL and the cause.
class EngineError : public std::runtime_error {
 public:
  enum class Kind {
    kUnreachable,  // connect failed / connection lost / timed out (after retries)
    kHttp,         // the engine answered an error (status(), code() from its JSON error)
    kProtocol,     // the answer was not what the API promises (bad JSON, missing fields)
    kCancelled,    // the caller's cancel flag was raised
    kEngineDied,   // a local engine process exited
  };
  EngineError(Kind kind, const std::string& message, long status = 0, std::string code = {})
      : std::runtime_error(message), kind_(kind), status_(status), code_(std::move(code)) {}
  Kind kind() const { return kind_; }
  long status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  Kind kind_;
  long status_;
  std::string code_;
};

struct EngineEndpoint {
  std::string url;      // e.g. "http://127.0.0.1:8000" (no trailing slash needed)
  std::string api_key;  // bearer token; empty = none
};

struct EngineClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // No byte for this long (keep-alive comments count) = connection lost.
  std::chrono::milliseconds idle_timeout{120000};
  // Connection failures / 429 / 503-while-not-stopping are retried this many times with
  // exponential backoff starting at retry_delay. A generation is only retried if no token of it
  // has been delivered yet (so callbacks never see a token twice).
  int retries = 3;
  std::chrono::milliseconds retry_delay{250};
};

// GET /mote/v1/model.
struct EngineModelInfo {
  std::string id;
  std::string model_type;
  int n_layers = 0;
  std::vector<int> moe_layers;  // model layer indices of the MoE layers
  ModelGeometry geometry;       // moe_layers, n_experts, top_k
  std::string checkpoint_dtype, dtype;
  nlohmann::json generation_defaults;
  nlohmann::json raw;  // the whole answer
};

enum class CaptureMode { kNone, kIds, kIdsAndWeights };

struct ChatMessage {
  std::string role;  // system / user / assistant
  std::string content;
};

struct SamplingSettings {
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  int top_k = 0;
  int max_tokens = 256;
  std::optional<std::int64_t> seed;
  nlohmann::json to_json() const;  // the request fields
};

struct GenerationRequest {
  bool chat = true;                   // chat: /v1/chat/completions with messages
  std::vector<ChatMessage> messages;  // chat mode
  std::string prompt;                 // raw mode: /v1/completions
  SamplingSettings sampling;
  TuningSpec tuning;
  CaptureMode capture = CaptureMode::kNone;
  std::vector<std::string> stop;
};

// Routing of one processed token (a row of the response's mote.routing).
struct RoutingRow {
  int position = 0;
  bool is_prompt = false;
  std::int64_t token = 0;
  std::vector<int> ids;        // [n_moe * top_k], moe layer major, after tuning
  std::vector<float> weights;  // same shape; empty unless kIdsAndWeights
  std::vector<int> ids_before;
  std::vector<float> weights_before;
};

// One streamed token.
struct TokenEvent {
  int index = 0;                  // 0-based completion token index
  std::string text;               // the text delta of this token (may be empty mid-UTF-8)
  std::vector<RoutingRow> rows;   // routing rows that arrived with this chunk
};

struct GenerationResult {
  std::string text;
  std::string finish_reason;  // stop / length / cancelled
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::int64_t seed = 0;
  std::vector<RoutingRow> routing;              // all rows, prompt first (capture on)
  std::optional<ActivationMap> prompt_counts;   // capture on
  double elapsed_ms = 0.0;
};

// One prompt of a scan: raw text or chat messages.
struct ScanPrompt {
  bool chat = true;
  std::vector<ChatMessage> messages;
  std::string text;
};

struct ScanOptions {
  int batch_size = 8;
  bool weighted = false;
  TuningSpec tuning;
};

struct ScanResult {
  std::size_t index = 0;
  int prompt_tokens = 0;
  ActivationMap counts;
  std::optional<ActivationMap> weighted_counts;
};

class EngineClient {
 public:
  explicit EngineClient(EngineEndpoint endpoint, EngineClientOptions options = {});
  const EngineEndpoint& endpoint() const { return endpoint_; }

  // GET /mote/v1/health: true if the engine answers "ok"; never throws.
  bool healthy() const;
  EngineModelInfo model() const;

  // Streams a generation (SSE). on_token is called on the calling thread for every token; a
  // `cancel` flag raised by another thread ends the request (EngineError kCancelled) within one
  // token. Errors: EngineError.
  GenerationResult generate(const GenerationRequest& request,
                            const std::function<void(const TokenEvent&)>& on_token = {},
                            const std::atomic<bool>* cancel = nullptr) const;

  // POST /mote/v1/scan (max_tokens 0): activation maps of many prompts, one callback per
  // finished prompt (any order). The geometry is needed to shape the maps.
  void scan(const std::vector<ScanPrompt>& prompts, const ScanOptions& options,
            const ModelGeometry& geometry, const std::function<void(const ScanResult&)>& on_result,
            const std::atomic<bool>* cancel = nullptr) const;

 private:
  EngineEndpoint endpoint_;
  EngineClientOptions options_;
};

// Activation maps of one generation from its routing rows (weights 0 = not selected):
// counts over prompt rows, counts over completion rows, router-weight sums over prompt rows.
struct GenerationMaps {
  ActivationMap prompt_counts, completion_counts, prompt_weighted;
};
GenerationMaps maps_from_routing(const std::vector<RoutingRow>& rows, const ModelGeometry& geometry);

}  // namespace mote::sessions
