#pragma once
// What the CLI and the GUI say to an engine and hear back, without the client itself: the error a
// call raises, where the engine is and how to reach it, a generation's request and result, a
// scan's options and the maps of a generation. sessions/engine_client.h holds EngineClient;
// the protocol helpers (engine_protocol.h, generation_stream.h) include only this file.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/activation_map.h"
#include "protocol/capture_mode.h"
#include "protocol/chat_message.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "protocol/wire_routing.h"
#include "protocol/wire_scan.h"

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
  // Connection refused / reset, 429 and 503 (unless the engine says "shutting_down") are retried
  // this many times with exponential backoff starting at retry_delay (doubling; a 429's
  // Retry-After is honoured, capped at 60 s). A generation or scan is only retried if nothing of
  // it has been delivered yet (so callbacks never see a token or a result twice).
  int retries = 3;
  std::chrono::milliseconds retry_delay{250};
  // Called when the engine cannot be reached (before any retry); may throw a more precise error.
  // LocalEngine::client() sets it to throw kEngineDied (exit status + log tail) once its child
  // process has exited, so a dead local engine is reported as such instead of "refused".
  std::function<void()> on_connection_failure;
};

struct SamplingSettings {
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  int top_k = 0;
  int max_tokens = 256;
  // Unset: generate() picks a random seed and sends it, so GenerationResult::seed is always the
  // seed the engine used (and a retried request samples the same tokens).
  std::optional<std::int64_t> seed;
  // The request fields: temperature, top_p, top_k, max_tokens and seed (if set).
  nlohmann::json to_json() const;
  // Reads those keys (each optional; missing ones keep the defaults above). Any other key or a
  // wrong type is a SessionError naming the key.
  static SamplingSettings from_json(const nlohmann::json& json);
};

struct GenerationRequest {
  bool chat = true;                   // chat: /v1/chat/completions with messages
  std::vector<ChatMessage> messages;  // chat mode
  std::string prompt;                 // raw mode: /v1/completions
  SamplingSettings sampling;
  TuningSpec tuning;
  CaptureMode capture = CaptureMode::None;
  std::vector<std::string> stop;
};

// One streamed token. The texts of all events of a generation concatenate to its text.
struct TokenEvent {
  // 0-based completion token index. Exact with capture on (every token has its chunk); without
  // capture the engine does not send tokens that complete no text (UTF-8 held back), so it then
  // counts the streamed tokens. -1 for the flush event below.
  int index = 0;
  std::string text;              // the text delta of this token (may be empty mid-UTF-8)
  std::vector<RoutingRow> rows;  // routing rows that arrived with this chunk
  // True for the (at most one) event after the last token carrying text the engine held back
  // until the end (a possible stop-string prefix, an incomplete UTF-8 sequence): index -1, no
  // new token, no rows. Only sent when that text is non-empty.
  bool flush = false;
};

struct GenerationResult {
  std::string text;
  std::string finish_reason;  // stop / length / cancelled
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::int64_t seed = 0;
  std::vector<RoutingRow> routing;             // all rows, prompt first (capture on)
  std::optional<ActivationMap> prompt_counts;  // capture on: the engine's own prompt map
  double elapsed_ms = 0.0;                     // wall time of the request, as the client saw it
};

struct ScanOptions {
  int batch_size = 8;     // prefill batch (the engine caps it at its --max-scan-batch)
  bool weighted = false;  // also router-weight sums over prompt tokens
  TuningSpec tuning;
};

// Activation maps of one generation from its routing rows: counts over prompt rows, counts over
// completion rows, router-weight sums over prompt rows. A slot counts only if its expert was
// selected with non-zero weight, exactly as the engine's prompt_counts and scan counts: with
// weights captured a weight of 0 (a suppressed expert keeps its slot) is not counted; without
// weights the ids of `tuning`'s suppressed experts are not counted (pass the request's tuning).
// Throws SessionError if a row's shape or an id disagrees with the geometry.
struct GenerationMaps {
  ActivationMap prompt_counts, completion_counts, prompt_weighted;
  bool has_weights = false;  // false: the rows carried no weights and prompt_weighted is all 0
};
GenerationMaps maps_from_routing(const std::vector<RoutingRow>& rows, const ModelGeometry& geometry,
                                 const TuningSpec& tuning = {});

}  // namespace mote::sessions
