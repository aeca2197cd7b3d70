#include "protocol/wire_mote_options.h"

#include <nlohmann/json.hpp>

namespace mote {

nlohmann::json MoteOptions::to_json(bool with_capture) const {
  nlohmann::json out = {{"tuning", tuning.to_json()}};
  if (with_capture) out["capture"] = capture_mode_name(capture);
  return out;
}

}  // namespace mote
