#pragma once
// The engine's JSON, both ways, without any I/O: request bodies for generate and scan, and the
// parsing of model info, routing rows, count maps and error bodies. Everything a malformed answer
// can break throws EngineError kProtocol, prefixed with `where` ("the engine at URL").
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessions/engine_client.h"

namespace mote::sessions {

[[noreturn]] void throw_protocol_error(const std::string& where, const std::string& detail);

// Body of POST /v1/chat/completions (request.chat) or /v1/completions: streamed, usage included,
// always with a "mote" object (tuning + capture) and the given seed.
nlohmann::json generation_request_json(const GenerationRequest& request, std::int64_t seed);
// Body of POST /mote/v1/scan with max_tokens 0.
nlohmann::json scan_request_json(const std::vector<ScanPrompt>& prompts,
                                 const ScanOptions& options);

std::string capture_name(CaptureMode mode);

EngineModelInfo model_info_from_json(const nlohmann::json& json, const std::string& where);
RoutingRow routing_row_from_json(const nlohmann::json& json, const std::string& where);
// A [n_moe][n_experts] array of numbers, checked against the geometry.
ActivationMap activation_map_from_json(const nlohmann::json& json, const ModelGeometry& geometry,
                                       const std::string& where);

// {"error": {"message", "type", "code"}} (fields may be missing in a proxy's error page).
struct EngineErrorBody {
  std::string message, type, code;
  bool parsed = false;  // false: the body was not the engine's error JSON
};
EngineErrorBody parse_error_body(const std::string& body);
EngineErrorBody parse_error_json(const nlohmann::json& json);

// The EngineError for an error answer: "the engine at URL rejected the request (400
// invalid_expert): message" (4xx) or "... reported an error (500 engine_error): ..." (5xx).
EngineError http_error(const std::string& where, long status, const EngineErrorBody& body,
                       const std::string& raw_body);
// The status an error event inside a 200 stream would have had as a plain reply.
long status_of_stream_error(const EngineErrorBody& body);

}  // namespace mote::sessions
