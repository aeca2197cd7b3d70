#pragma once

#include <string>

#include "protocol/error.h"

namespace mote::sessions {

// Every failure in sessions/ (bad input file, malformed JSON, SQLite trouble, shape mismatch)
// is reported as a SessionError whose message names the file, row, column or label at fault.
// Tuning, geometry and .npy problems are the protocol's own errors (protocol/error.h); catch
// mote::Error to report both.
class SessionError : public Error {
 public:
  explicit SessionError(const std::string& message) : Error(message) {}
};

}  // namespace mote::sessions
