#pragma once
// The errors every part of the project reports to its users. Each message names what was wrong
// (file, key, expert address, layer) so the CLI, the server and the GUI can show it as is.
#include <stdexcept>
#include <string>

namespace mote {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A tuning spec that is malformed, addresses experts the model does not have or contradicts
// itself (TuningSpec::validate holds the rules).
struct TuningError : Error {
  using Error::Error;
};

// A model geometry that is malformed or that an address does not belong to.
struct GeometryError : Error {
  using Error::Error;
};

// A routing record or stored activation map whose shape or bytes are inconsistent.
struct ActivationMapError : Error {
  using Error::Error;
};

// A bad command line (unknown option, missing value, malformed number): exit code 2.
struct UsageError : Error {
  using Error::Error;
};

// A .npy file that cannot be read or written, or holds an unsupported array.
struct NpyError : Error {
  using Error::Error;
};

}  // namespace mote
