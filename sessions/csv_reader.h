#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mote::sessions {

// RFC 4180 CSV: comma-separated, fields optionally in double quotes, "" inside quotes is a quote,
// quoted fields may span lines, CRLF or LF line ends, a UTF-8 BOM is skipped, a final line end is
// optional. Throws SessionError naming `source_name`, line and column for an unterminated quote
// or a quote in the middle of an unquoted field.
std::vector<std::vector<std::string>> parse_csv(std::string_view text,
                                                const std::string& source_name);

}  // namespace mote::sessions
