#pragma once
// The server's request bodies, parsed and validated into plain structs. Torch-free (nlohmann json
// and protocol/ only) so the fuzzer builds it with clang alone: everything a client can get wrong
// is found here, before a request reaches the engine, and reported as a RequestError (HTTP 4xx).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/server/server_errors.h"
#include "protocol/capture_mode.h"
#include "protocol/chat_message.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "protocol/wire_mote_options.h"
#include "protocol/wire_scan.h"

namespace mote::server {

// Per-request limits (all configurable on the command line).
struct RequestLimits {
  size_t max_body_bytes = 8 << 20;
  int64_t max_prompt_tokens = 16384;
  int64_t max_tokens = 4096;  // per request; also the default when a request gives none
  int64_t max_scan_prompts = 1024;
  int64_t max_scan_batch = 32;  // prefill batch size a scan may ask for
  int64_t max_queue = 64;       // requests waiting for the engine (429 beyond)
  size_t max_json_depth = 64;
  size_t max_messages = 4096;
  size_t max_stop = 4;
};

struct Sampling {  // unset: the model's generation_config.json default
  std::optional<double> temperature, top_p;
  std::optional<int64_t> top_k;
  std::optional<uint64_t> seed;
};

// /v1/chat/completions (chat) or /v1/completions.
struct GenerateRequest {
  bool chat = true;
  std::string model;
  std::vector<ChatMessage> messages;               // chat
  std::string prompt;                              // completions: raw text ...
  std::optional<std::vector<int64_t>> prompt_ids;  // ... or token ids
  std::optional<int64_t> max_tokens;
  Sampling sampling;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  MoteOptions mote;
};

struct ScanRequest {
  std::vector<ScanPrompt> prompts;
  int64_t max_tokens = 0;  // 0: prefill only
  Sampling sampling;
  int64_t batch_size = 8;
  bool weighted = false;  // also router-weight-weighted counts
  MoteOptions mote;
};

// Parses a JSON object body: malformed JSON, invalid UTF-8, numbers out of range and nesting
// deeper than max_depth are RequestErrors (the depth is checked before nlohmann parses).
nlohmann::json parse_json_object(std::string_view body, size_t max_depth);

GenerateRequest parse_chat_request(std::string_view body, const RequestLimits& limits,
                                   const ModelGeometry& geometry);
GenerateRequest parse_completion_request(std::string_view body, const RequestLimits& limits,
                                         const ModelGeometry& geometry);
ScanRequest parse_scan_request(std::string_view body, const RequestLimits& limits,
                               const ModelGeometry& geometry);

// json.dump() that never throws on invalid UTF-8 in strings.
std::string dump(const nlohmann::json& json);

}  // namespace mote::server
