#pragma once
// The request bodies of the engine's API on the wire, both ways: the client writes them with
// to_json(), the server parses untrusted bytes into the same structs with parse_*_request().
// Everything a client can get wrong is found here, before a request reaches the engine, and
// thrown as an InvalidRequest naming the field (the server's 400). Bodies:
//   POST /v1/chat/completions  {messages, model?, max_tokens?, temperature?, top_p?, top_k?,
//                               seed?, stop?, stream?, stream_options?, logprobs? (bool),
//                               top_logprobs?, mote?}
//   POST /v1/completions       the same with prompt (text, [text] or token ids) for messages,
//                               logprobs? (the number of alternatives) and echo?
//   POST /mote/v1/scan         {prompts, max_tokens?, temperature?, top_p?, top_k?, seed?,
//                               batch_size?, weighted?, mote? (tuning only), model?}
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/chat_message.h"
#include "protocol/model_geometry.h"
#include "protocol/wire_error.h"
#include "protocol/wire_mote_options.h"
#include "protocol/wire_scan.h"

namespace mote {

// What the server accepts in one request (each configurable on `mote-engine serve`'s command
// line). A client builds requests within the defaults.
struct RequestLimits {
  std::size_t max_body_bytes = 8 << 20;
  std::int64_t max_prompt_tokens = 16384;
  std::int64_t max_tokens = 4096;  // per request; also the default when a request gives none
  std::int64_t max_scan_prompts = 1024;
  std::int64_t max_scan_batch = 32;  // prefill batch size a scan may ask for
  std::int64_t max_queue = 64;       // requests waiting for the engine (429 beyond)
  std::size_t max_json_depth = 64;
  std::size_t max_messages = 4096;
  std::size_t max_stop = 4;
};

struct Sampling {  // unset: the model's generation_config.json default
  std::optional<double> temperature, top_p;
  std::optional<std::int64_t> top_k;
  // OpenAI's seeds are signed 64-bit: written as the same bits signed, negative ones read back
  // as those bits.
  std::optional<std::uint64_t> seed;
  friend bool operator==(const Sampling&, const Sampling&) = default;
};

// /v1/chat/completions (chat) or /v1/completions.
struct GenerateRequest {
  bool chat = true;
  std::string model;
  std::vector<ChatMessage> messages;                    // chat
  std::string prompt;                                   // completions: raw text ...
  std::optional<std::vector<std::int64_t>> prompt_ids;  // ... or token ids
  std::optional<std::int64_t> max_tokens;
  Sampling sampling;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Each returned token's logprob and this many most likely alternatives (0..kMaxTopLogprobs);
  // unset: none. On the wire chat says logprobs: true + top_logprobs: N, completions logprobs: N.
  std::optional<std::int64_t> logprobs;
  // Completions: the prompt comes first in the reply's text and logprobs; with max_tokens 0 the
  // prompt is scored without generating.
  bool echo = false;
  MoteOptions mote;
  // The body for chat ? /v1/chat/completions : /v1/completions; unset fields are left out.
  nlohmann::json to_json() const;
  friend bool operator==(const GenerateRequest&, const GenerateRequest&) = default;
};

struct ScanRequest {
  std::vector<ScanPrompt> prompts;
  std::int64_t max_tokens = 0;  // 0: prefill only
  Sampling sampling;
  std::int64_t batch_size = 8;
  bool weighted = false;  // also router-weight-weighted counts
  MoteOptions mote;       // the tuning only (a scan captures counts, never routing rows)
  nlohmann::json to_json() const;
  friend bool operator==(const ScanRequest&, const ScanRequest&) = default;
};

// POST /tokenize: {"prompt": text} or {"messages": [...], "add_generation_prompt"?}, with
// "model"? and "add_special_tokens"? (vLLM's shapes; no special tokens are ever added).
struct TokenizeRequest {
  std::string model;
  std::optional<std::string> prompt;
  std::vector<ChatMessage> messages;  // when no prompt
  bool add_generation_prompt = true;
  nlohmann::json to_json() const;
  friend bool operator==(const TokenizeRequest&, const TokenizeRequest&) = default;
};

// POST /detokenize: {"tokens": [ids], "model"?}
struct DetokenizeRequest {
  std::string model;
  std::vector<std::int64_t> tokens;
  nlohmann::json to_json() const;
  friend bool operator==(const DetokenizeRequest&, const DetokenizeRequest&) = default;
};

// POST /mote/v1/tunings: {"name": NAME, "tuning": {...}} serves the tuning as model "ID:NAME".
struct TuningRegistration {
  std::string name;
  TuningSpec tuning;
  nlohmann::json to_json() const;
  friend bool operator==(const TuningRegistration&, const TuningRegistration&) = default;
};

// Parses a JSON object body: malformed JSON, invalid UTF-8, numbers out of range and nesting
// deeper than max_depth are InvalidRequests (the depth is checked before nlohmann parses).
nlohmann::json parse_json_object(std::string_view body, std::size_t max_depth);

// A tuning in "mote" is checked with TuningSpec::validate against `geometry` (code
// "invalid_expert", the rule's own message).
GenerateRequest parse_chat_request(std::string_view body, const RequestLimits& limits,
                                   const ModelGeometry& geometry);
GenerateRequest parse_completion_request(std::string_view body, const RequestLimits& limits,
                                         const ModelGeometry& geometry);
ScanRequest parse_scan_request(std::string_view body, const RequestLimits& limits,
                               const ModelGeometry& geometry);
TokenizeRequest parse_tokenize_request(std::string_view body, const RequestLimits& limits);
DetokenizeRequest parse_detokenize_request(std::string_view body, const RequestLimits& limits);
// The tuning is checked against `geometry` (code "invalid_expert").
TuningRegistration parse_tuning_registration(std::string_view body, const RequestLimits& limits,
                                             const ModelGeometry& geometry);

}  // namespace mote
