#pragma once
// JSON text for the server's responses. The request bodies it reads are the protocol's
// (protocol/wire_request.h: parse_chat_request, parse_completion_request, parse_scan_request).
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/wire_request.h"

namespace mote::server {

// json.dump() that never throws on invalid UTF-8 in strings (replaced by U+FFFD).
std::string dump(const nlohmann::json& json);

}  // namespace mote::server
