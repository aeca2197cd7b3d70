#pragma once
// Every error the server answers, in one place: the RequestError a handler throws (status, an
// OpenAI-style type and a machine-readable code) and the one function that turns it into the
// JSON body {"error": {"message", "type", "code"}}. Torch-free, like the request parser.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "protocol/wire_error.h"

namespace mote::server {

struct RequestError : std::runtime_error {
  RequestError(int status, std::string type, std::string code, const std::string& message)
      : std::runtime_error(message), status(status), type(std::move(type)), code(std::move(code)) {}
  int status;
  std::string type;  // "invalid_request_error", "server_error", ...
  std::string code;  // "invalid_json", "invalid_expert", "shutting_down", ...
};

// 400: something in the request body is wrong.
RequestError invalid_request(const std::string& message, const std::string& code = "invalid_value");
// 404 model_not_found: a request's "model" names neither the served model nor one of its tunings.
RequestError model_not_found(const std::string& model, const std::string& served);
// 401, with WWW-Authenticate: Bearer.
RequestError invalid_api_key();
// 415: a body that is not JSON.
RequestError unsupported_media_type();
// 429: the engine queue holds `max_queue` requests already.
RequestError queue_full(int64_t max_queue);
// 503: the server is stopping; nothing more is run.
RequestError shutting_down();
// 500: engine work failed (`what` says how), or the server itself did.
RequestError engine_error(const std::string& what);
RequestError internal_error(const std::string& what);
// An error cpp-httplib produced without a body (no route, payload too large, malformed HTTP).
RequestError http_error(int status, const std::string& method, const std::string& path);

// {"error": {"message", "type", "code"}}, dumped with invalid UTF-8 replaced (never throws).
std::string error_body(const RequestError& error);
// The RequestError for any exception escaping request work: RequestError as is, a request body
// the protocol's parser refused (InvalidRequest) a 400 with its code, anything else an engine
// error (500).
RequestError as_request_error(const std::exception& e);

}  // namespace mote::server
