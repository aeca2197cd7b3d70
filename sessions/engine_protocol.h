#pragma once
// The engine's JSON, both ways, without any I/O: the client's requests as the protocol's request
// structs (protocol/wire_request.h, what the server parses), and the parsing of error bodies;
// model info, routing rows and count maps are read with the protocol's wire structs through
// read_wire(). Everything a malformed answer
// can break throws EngineError kProtocol, prefixed with `where` ("the engine at URL").
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/wire_error.h"
#include "sessions/engine_types.h"

namespace mote::sessions {

[[noreturn]] void throw_protocol_error(const std::string& where, const std::string& detail);

// Body of POST /v1/chat/completions (request.chat) or /v1/completions: streamed, usage included,
// always with a "mote" object (tuning + capture) and the given seed.
nlohmann::json generation_request_json(const GenerationRequest& request, std::int64_t seed);
// Body of POST /mote/v1/scan with max_tokens 0.
nlohmann::json scan_request_json(const std::vector<ScanPrompt>& prompts,
                                 const ScanOptions& options);

// Runs `read` on the engine's JSON (protocol/wire_*.h); a WireError, the answer not being what
// the API promises, becomes EngineError kProtocol naming the engine (`where`).
template <typename Read>
auto read_wire(const std::string& where, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const WireError& e) {
    throw_protocol_error(where, e.what());
  }
}

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
