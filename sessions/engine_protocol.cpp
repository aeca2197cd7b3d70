#include "sessions/engine_protocol.h"

#include "protocol/wire_request.h"
#include "sessions/session_error.h"

namespace mote::sessions {
using json = nlohmann::json;

void throw_protocol_error(const std::string& where, const std::string& detail) {
  throw EngineError(EngineError::Kind::kProtocol,
                    where + " sent an answer this client does not understand: " + detail);
}

json generation_request_json(const GenerationRequest& request, std::int64_t seed) {
  GenerateRequest wire;
  wire.chat = request.chat;
  if (request.chat) {
    wire.messages = request.messages;
  } else {
    wire.prompt = request.prompt;
  }
  const SamplingSettings& s = request.sampling;
  wire.max_tokens = s.max_tokens;
  wire.sampling = {s.temperature, s.top_p, s.top_k, static_cast<std::uint64_t>(seed)};
  wire.stop = request.stop;
  wire.stream = true;
  wire.include_usage = true;
  wire.mote = {true, request.tuning, request.capture};
  return wire.to_json();
}

json scan_request_json(const std::vector<ScanPrompt>& prompts, const ScanOptions& options) {
  ScanRequest wire;
  wire.prompts = prompts;
  wire.batch_size = options.batch_size;
  wire.max_tokens = 0;
  wire.weighted = options.weighted;
  wire.mote = {true, options.tuning, CaptureMode::None};
  return wire.to_json();
}

EngineErrorBody parse_error_json(const json& j) {
  EngineErrorBody out;
  if (!j.is_object()) return out;
  const auto it = j.find("error");
  if (it == j.end()) return out;
  out.parsed = true;
  if (it->is_string()) {
    out.message = it->get<std::string>();
    return out;
  }
  if (!it->is_object()) return out;
  for (auto [field, key] : {std::pair{&out.message, "message"}, std::pair{&out.type, "type"},
                            std::pair{&out.code, "code"}}) {
    if (const auto f = it->find(key); f != it->end() && f->is_string())
      *field = f->get<std::string>();
  }
  return out;
}

EngineErrorBody parse_error_body(const std::string& body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {};
  return parse_error_json(j);
}

EngineError http_error(const std::string& where, long status, const EngineErrorBody& body,
                       const std::string& raw_body) {
  std::string message = where +
                        (status >= 500 ? " reported an error (" : " rejected the request (") +
                        std::to_string(status);
  if (!body.code.empty()) message += " " + body.code;
  message += ")";
  if (!body.message.empty()) {
    message += ": " + body.message;
  } else if (!raw_body.empty()) {
    // Not the engine's JSON (a proxy's page?): show its start, on one line.
    std::string excerpt = raw_body.substr(0, 200);
    for (char& c : excerpt)
      if (c == '\n' || c == '\r') c = ' ';
    message += ": " + excerpt;
  }
  return EngineError(EngineError::Kind::kHttp, message, status, body.code);
}

long status_of_stream_error(const EngineErrorBody& body) {
  if (body.code == "shutting_down") return 503;
  if (body.code == "queue_full") return 429;
  if (body.type == "server_error" || body.code == "engine_error") return 500;
  return 400;
}

}  // namespace mote::sessions
