#pragma once
// Errors the engine reports to its users. Every message names what was wrong (file, tensor, key,
// expert address) so a CLI or the server can show it as is. The base class and the tuning,
// geometry and .npy errors are the project's own (protocol/error.h).
#include "protocol/error.h"

namespace mote {

// Malformed or unsupported config.json / tokenizer_config.json content.
struct ConfigError : Error {
  using Error::Error;
};

// A checkpoint file that is missing, truncated, inconsistent or does not match the config.
struct CheckpointError : Error {
  using Error::Error;
};

// A tokenizer.json feature that is unsupported or malformed.
struct TokenizerError : Error {
  using Error::Error;
};

}  // namespace mote
