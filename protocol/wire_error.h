#pragma once
// Errors of the wire format: a message that is not what the API promises.
#include "protocol/error.h"

namespace mote {

// A response or event whose JSON lacks a field, has the wrong type or an inconsistent shape.
struct WireError : Error {
  using Error::Error;
};

}  // namespace mote
