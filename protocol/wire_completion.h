#pragma once
// A chat or text completion's reply on the wire: OpenAI's format plus MoTE's "mote" object, as
// streamed chunks (SSE data events) and as the plain (stream: false) reply. The server writes
// them with to_json(), the client reads them with from_json(); a malformed reply is a WireError
// naming the field. Format and examples: docs/server-api.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/activation_map.h"
#include "protocol/capture_mode.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "protocol/wire_logprobs.h"
#include "protocol/wire_routing.h"

namespace mote {

struct Usage {
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  // {"prompt_tokens", "completion_tokens", "total_tokens"}
  nlohmann::json to_json() const;
  static Usage from_json(const nlohmann::json& json);
  friend bool operator==(const Usage&, const Usage&) = default;
};

// What a generation ran with. Sent once: in a stream's first chunk (chat: the role chunk;
// completions: the first token's chunk when capturing) and in the plain reply.
struct MoteHeader {
  ModelGeometry geometry;
  CaptureMode capture = CaptureMode::None;
  TuningSpec tuning;
  std::uint64_t seed = 0;  // the seed the engine sampled with (OpenAI's signed seed, same bits)
  friend bool operator==(const MoteHeader&, const MoteHeader&) = default;
};

// The "mote" object of a chunk or reply (the header's fields sit in it directly):
//   {["moe_layers", "n_experts", "top_k", "capture", "tuning", "seed"], ["routing": [row...]],
//    ["prompt_counts": [[...]...]]}
struct MoteReply {
  std::optional<MoteHeader> header;
  // With capture: this chunk's rows (one per token it processed; the first token's chunk has the
  // prompt's too), or, in the plain reply, every row.
  std::optional<std::vector<RoutingRow>> routing;
  // With capture, in the first token's chunk and the plain reply: counts over the prompt tokens.
  std::optional<ActivationMap> prompt_counts;
  nlohmann::json to_json() const;
  // prompt_counts are checked against this object's header or, without one, `stream_geometry`
  // (the stream's header, null if none came yet: then prompt_counts are a WireError).
  static MoteReply from_json(const nlohmann::json& json, const ModelGeometry* stream_geometry);
  friend bool operator==(const MoteReply&, const MoteReply&) = default;
};

// One streamed chunk: "chat.completion.chunk" (chat) or "text_completion".
struct CompletionChunk {
  struct Choice {
    bool announces_role = false;  // chat's first chunk: delta {"role": "assistant", "content": ""}
    std::string text;             // delta.content (chat) or text; "" mid-UTF-8
    std::optional<std::string> finish_reason;  // the last chunk: stop, length or cancelled
    std::optional<Logprobs> logprobs = {};     // this chunk's tokens, when the request asked
    friend bool operator==(const Choice&, const Choice&) = default;
  };
  bool chat = true;
  std::string id, model;
  std::int64_t created = 0;
  std::optional<Choice> choice;  // choices[0]; none in the usage-only chunk
  std::optional<Usage> usage;
  std::optional<MoteReply> mote;
  nlohmann::json to_json() const;
  static CompletionChunk from_json(const nlohmann::json& json, bool chat,
                                   const ModelGeometry* stream_geometry);
  friend bool operator==(const CompletionChunk&, const CompletionChunk&) = default;
};

// The plain reply: "chat.completion" (choices[0].message) or "text_completion" (choices[0].text).
struct CompletionReply {
  bool chat = true;
  std::string id, model;
  std::int64_t created = 0;
  std::string text;
  std::string finish_reason;
  std::optional<Logprobs> logprobs;  // when the request asked (completions: echo first)
  Usage usage;
  std::optional<MoteReply> mote;  // when the request had a "mote" object
  nlohmann::json to_json() const;
  static CompletionReply from_json(const nlohmann::json& json, bool chat);
  friend bool operator==(const CompletionReply&, const CompletionReply&) = default;
};

}  // namespace mote
