#pragma once
// Errors the engine reports to its users. Every message names what was wrong (file, tensor, key,
// expert address) so a CLI or the server can show it as is.
#include <stdexcept>
#include <string>

namespace mote {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Malformed or unsupported config.json / tokenizer_config.json content.
struct ConfigError : Error {
  using Error::Error;
};

// A checkpoint file that is missing, truncated, inconsistent or does not match the config.
struct CheckpointError : Error {
  using Error::Error;
};

// A tuning spec that addresses experts that do not exist or contradicts itself.
struct TuningError : Error {
  using Error::Error;
};

// A tokenizer.json feature that is unsupported or malformed.
struct TokenizerError : Error {
  using Error::Error;
};

// Bad command-line usage.
struct UsageError : Error {
  using Error::Error;
};

}  // namespace mote
