#pragma once
// The "mote" field of a chat/completion/scan request: the tuning to run with and what routing to
// capture. The client writes it with to_json(); the server parses it with the request's limits
// and error codes (protocol/wire_request.cpp) into this same struct, validating the tuning with
// TuningSpec::validate.
#include <nlohmann/json_fwd.hpp>

#include "protocol/capture_mode.h"
#include "protocol/tuning_spec.h"

namespace mote {

struct MoteOptions {
  bool present = false;  // the request had a "mote" object
  TuningSpec tuning;
  CaptureMode capture = CaptureMode::None;
  // {"tuning": {...}, "capture": "none" | "ids" | "ids+weights"}; scans take no capture.
  nlohmann::json to_json(bool with_capture = true) const;
  friend bool operator==(const MoteOptions&, const MoteOptions&) = default;
};

}  // namespace mote
