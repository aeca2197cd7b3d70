#pragma once
// POST /mote/v1/scan's events on the wire (SSE data lines): mote.scan.start, one
// mote.scan.result per prompt (in the order prompts finish), mote.scan.done. The engine writes
// them, the client reads them; WireError naming the field when an event is malformed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/activation_map.h"
#include "protocol/chat_message.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

namespace mote {

// One prompt of a scan request: raw text, or chat messages rendered with the model's template
// (with the generation prompt by default, as a generation renders them, so a scan's prompt map
// equals a generation's). The client writes it with to_json(); the server parses it
// (protocol/wire_request.h) with the limits and errors a request gets.
struct ScanPrompt {
  bool chat = true;
  std::vector<ChatMessage> messages;  // chat
  std::string text;                   // raw
  bool add_generation_prompt = true;  // chat
  // {"messages": [...], "add_generation_prompt": b} or {"text": "..."}.
  nlohmann::json to_json() const;
  friend bool operator==(const ScanPrompt&, const ScanPrompt&) = default;
};

struct ScanStart {
  std::size_t prompts = 0;
  ModelGeometry geometry;  // of the model that scans: a client checks it is the one it expects
  int batch_size = 0;
  int max_tokens = 0;
  TuningSpec tuning;
  nlohmann::json to_json() const;
  static ScanStart from_json(const nlohmann::json& json);
};

struct ScanResult {
  std::size_t index = 0;  // index into the request's prompts
  int prompt_tokens = 0;
  ActivationMap counts;                          // prompt tokens selecting each expert
  std::optional<ActivationMap> weighted_counts;  // router-weight sums, when asked ("weighted")
  // With max_tokens > 0: the generated answer.
  std::optional<std::string> text;
  int completion_tokens = 0;
  std::string finish_reason;
  nlohmann::json to_json() const;
  // The maps are checked against `geometry`.
  static ScanResult from_json(const nlohmann::json& json, const ModelGeometry& geometry);
};

struct ScanDone {
  std::size_t prompts = 0, completed = 0;
  double seconds = 0, prompts_per_second = 0;
  bool cancelled = false;  // the server stopped before every prompt was done
  nlohmann::json to_json() const;
  static ScanDone from_json(const nlohmann::json& json);
};

}  // namespace mote
