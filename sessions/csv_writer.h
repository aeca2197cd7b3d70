#pragma once

#include <string>

namespace mote::sessions {

// A CSV cell per RFC 4180: quoted (with "" for ") if it holds a comma, quote or line break.
std::string csv_escape(const std::string& text);

}  // namespace mote::sessions
