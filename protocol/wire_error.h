#pragma once
// Errors of the wire format: a message that is not what the API promises.
#include <string>
#include <utility>

#include "protocol/error.h"

namespace mote {

// A response or event whose JSON lacks a field, has the wrong type or an inconsistent shape.
struct WireError : Error {
  using Error::Error;
};

// A request body that is malformed or breaks the server's limits (protocol/wire_request.h). The
// server answers it with HTTP 400 {"error": {"message": what(), "code": code}}.
struct InvalidRequest : WireError {
  InvalidRequest(const std::string& message, std::string code)
      : WireError(message), code(std::move(code)) {}
  std::string code;  // "invalid_json", "invalid_type", "invalid_value", "invalid_expert", ...
};

}  // namespace mote
