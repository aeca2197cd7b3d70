#pragma once

#include <stdexcept>
#include <string>

namespace mote::sessions {

// Every failure in sessions/ (bad input file, malformed JSON, SQLite trouble, shape mismatch)
// is reported as a SessionError whose message names the file, row, column or label at fault.
class SessionError : public std::runtime_error {
 public:
  explicit SessionError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace mote::sessions
