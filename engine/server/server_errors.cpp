#include "engine/server/server_errors.h"

#include <nlohmann/json.hpp>

namespace mote::server {
namespace {

// The log and error messages show what was asked, never control bytes.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200))
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

const char* status_code_name(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "queue_full";
    case 503:
      return "shutting_down";
    default:
      return status >= 500 ? "server_error" : "bad_request";
  }
}

}  // namespace

RequestError invalid_request(const std::string& message, const std::string& code) {
  return RequestError(400, "invalid_request_error", code, message);
}

RequestError model_not_found(const std::string& model, const std::string& served) {
  return RequestError(404, "invalid_request_error", "model_not_found",
                      "the model '" + printable(model) +
                          "' is not served here (GET /v1/models "
                          "lists '" +
                          printable(served) + "' and its tunings as '" + printable(served) +
                          ":NAME')");
}

RequestError invalid_api_key() {
  return RequestError(401, "authentication_error", "invalid_api_key",
                      "missing or invalid API key (send Authorization: Bearer KEY)");
}

RequestError unsupported_media_type() {
  return RequestError(415, "invalid_request_error", "unsupported_media_type",
                      "Content-Type must be application/json");
}

RequestError queue_full(int64_t max_queue) {
  return RequestError(
      429, "rate_limit_error", "queue_full",
      "the engine queue is full (" + std::to_string(max_queue) + " requests waiting); retry later");
}

RequestError shutting_down() {
  return RequestError(503, "server_error", "shutting_down", "the server is shutting down");
}

RequestError engine_error(const std::string& what) {
  return RequestError(500, "server_error", "engine_error", "engine error: " + what);
}

RequestError internal_error(const std::string& what) {
  return RequestError(500, "server_error", "internal_error", "internal error: " + what);
}

RequestError http_error(int status, const std::string& method, const std::string& path) {
  std::string message =
      std::string(status_code_name(status)) + " (HTTP " + std::to_string(status) + ")";
  if (status == 404) message = "no route " + printable(method) + " " + printable(path);
  return RequestError(status, status >= 500 ? "server_error" : "invalid_request_error",
                      status_code_name(status), message);
}

std::string error_body(const RequestError& e) {
  const nlohmann::json body = {
      {"error", {{"message", e.what()}, {"type", e.type}, {"code", e.code}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RequestError as_request_error(const std::exception& e) {
  if (const auto* r = dynamic_cast<const RequestError*>(&e)) return *r;
  if (const auto* w = dynamic_cast<const InvalidRequest*>(&e))
    return invalid_request(w->what(), w->code);
  return engine_error(e.what());
}

}  // namespace mote::server
