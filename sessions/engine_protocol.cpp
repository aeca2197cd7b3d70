#include "sessions/engine_protocol.h"

#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

using json = nlohmann::json;

const json& member(const json& object, const char* key, const std::string& where,
                   const std::string& what) {
  if (!object.is_object()) throw_protocol_error(where, what + " is not a JSON object");
  const auto it = object.find(key);
  if (it == object.end()) throw_protocol_error(where, what + " has no \"" + key + "\"");
  return *it;
}

std::int64_t integer(const json& value, const std::string& where, const std::string& what) {
  if (value.is_number_unsigned()) return static_cast<std::int64_t>(value.get<std::uint64_t>());
  if (!value.is_number_integer()) throw_protocol_error(where, what + " is not an integer");
  return value.get<std::int64_t>();
}

int small_int(const json& value, const std::string& where, const std::string& what) {
  const std::int64_t v = integer(value, where, what);
  if (v < -(1LL << 31) || v >= (1LL << 31)) throw_protocol_error(where, what + " is out of range");
  return static_cast<int>(v);
}

std::string text(const json& value, const std::string& where, const std::string& what) {
  if (!value.is_string()) throw_protocol_error(where, what + " is not a string");
  return value.get<std::string>();
}

std::vector<int> int_list(const json& value, const std::string& where, const std::string& what) {
  if (!value.is_array()) throw_protocol_error(where, what + " is not an array");
  std::vector<int> out;
  out.reserve(value.size());
  for (const auto& v : value) out.push_back(small_int(v, where, what));
  return out;
}

std::vector<float> float_list(const json& value, const std::string& where,
                              const std::string& what) {
  if (!value.is_array()) throw_protocol_error(where, what + " is not an array");
  std::vector<float> out;
  out.reserve(value.size());
  for (const auto& v : value) {
    if (!v.is_number()) throw_protocol_error(where, what + " holds a non-number");
    out.push_back(v.get<float>());
  }
  return out;
}

}  // namespace

void throw_protocol_error(const std::string& where, const std::string& detail) {
  throw EngineError(EngineError::Kind::kProtocol,
                    where + " sent an answer this client does not understand: " + detail);
}

std::string capture_name(CaptureMode mode) {
  switch (mode) {
    case CaptureMode::kNone:
      return "none";
    case CaptureMode::kIds:
      return "ids";
    case CaptureMode::kIdsAndWeights:
      return "ids+weights";
  }
  return "none";
}

json generation_request_json(const GenerationRequest& request, std::int64_t seed) {
  json body = request.sampling.to_json();
  body["seed"] = seed;
  if (request.chat) {
    json messages = json::array();
    for (const auto& m : request.messages)
      messages.push_back({{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
  } else {
    body["prompt"] = request.prompt;
  }
  if (!request.stop.empty()) body["stop"] = request.stop;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["mote"] = {{"tuning", request.tuning.to_json()}, {"capture", capture_name(request.capture)}};
  return body;
}

json scan_request_json(const std::vector<ScanPrompt>& prompts, const ScanOptions& options) {
  json list = json::array();
  for (const auto& p : prompts) {
    if (!p.chat) {
      list.push_back({{"text", p.text}});
      continue;
    }
    json messages = json::array();
    for (const auto& m : p.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    list.push_back({{"messages", std::move(messages)}, {"add_generation_prompt", true}});
  }
  return {{"prompts", std::move(list)},
          {"batch_size", options.batch_size},
          {"max_tokens", 0},
          {"weighted", options.weighted},
          {"mote", {{"tuning", options.tuning.to_json()}}}};
}

EngineModelInfo model_info_from_json(const json& j, const std::string& where) {
  const std::string what = "GET /mote/v1/model";
  EngineModelInfo info;
  info.id = text(member(j, "id", where, what), where, what + " id");
  if (const auto it = j.find("model_type"); it != j.end() && it->is_string())
    info.model_type = it->get<std::string>();
  info.n_layers = small_int(member(j, "layers", where, what), where, what + " layers");
  info.moe_layers = int_list(member(j, "moe_layers", where, what), where, what + " moe_layers");
  info.geometry.moe_layers = info.moe_layers;
  info.geometry.n_experts =
      small_int(member(j, "experts_per_layer", where, what), where, what + " experts_per_layer");
  info.geometry.top_k = small_int(member(j, "top_k", where, what), where, what + " top_k");
  try {
    info.geometry.validate();
  } catch (const SessionError& e) {
    throw_protocol_error(where, what + ": " + e.what());
  }
  if (const auto it = j.find("checkpoint_dtype"); it != j.end() && it->is_string())
    info.checkpoint_dtype = it->get<std::string>();
  if (const auto it = j.find("dtype"); it != j.end() && it->is_string())
    info.dtype = it->get<std::string>();
  if (const auto it = j.find("generation_defaults"); it != j.end()) info.generation_defaults = *it;
  if (const auto it = j.find("limits"); it != j.end()) info.limits = *it;
  info.raw = j;
  return info;
}

RoutingRow routing_row_from_json(const json& j, const std::string& where) {
  const std::string what = "a routing row";
  RoutingRow row;
  row.position = small_int(member(j, "position", where, what), where, what + " position");
  const json& is_prompt = member(j, "is_prompt", where, what);
  if (!is_prompt.is_boolean()) throw_protocol_error(where, what + " is_prompt is not a boolean");
  row.is_prompt = is_prompt.get<bool>();
  if (const auto it = j.find("token"); it != j.end())
    row.token = integer(*it, where, what + " token");
  row.ids = int_list(member(j, "ids", where, what), where, what + " ids");
  if (const auto it = j.find("weights"); it != j.end())
    row.weights = float_list(*it, where, what + " weights");
  if (const auto it = j.find("ids_before"); it != j.end())
    row.ids_before = int_list(*it, where, what + " ids_before");
  if (const auto it = j.find("weights_before"); it != j.end())
    row.weights_before = float_list(*it, where, what + " weights_before");
  if (!row.weights.empty() && row.weights.size() != row.ids.size())
    throw_protocol_error(where, what + " has " + std::to_string(row.ids.size()) + " ids but " +
                                    std::to_string(row.weights.size()) + " weights");
  return row;
}

ActivationMap activation_map_from_json(const json& j, const ModelGeometry& geometry,
                                       const std::string& where) {
  const std::size_t rows = geometry.n_moe_layers();
  const auto cols = static_cast<std::size_t>(geometry.n_experts);
  auto shape_error = [&] {
    throw_protocol_error(where, "an activation map is not " + std::to_string(rows) + " x " +
                                    std::to_string(cols) + " numbers (the model's geometry)");
  };
  if (!j.is_array() || j.size() != rows) shape_error();
  ActivationMap map(rows, cols);
  for (std::size_t l = 0; l < rows; ++l) {
    if (!j[l].is_array() || j[l].size() != cols) shape_error();
    for (std::size_t e = 0; e < cols; ++e) {
      if (!j[l][e].is_number()) shape_error();
      map.at(l, e) = j[l][e].get<float>();
    }
  }
  return map;
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
