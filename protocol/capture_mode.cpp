#include "protocol/capture_mode.h"

namespace mote {

std::string capture_mode_name(CaptureMode mode) {
  switch (mode) {
    case CaptureMode::None:
      return "none";
    case CaptureMode::Ids:
      return "ids";
    case CaptureMode::IdsAndWeights:
      return "ids+weights";
  }
  return "none";
}

std::optional<CaptureMode> capture_mode_from_name(std::string_view name) {
  if (name == "none") return CaptureMode::None;
  if (name == "ids") return CaptureMode::Ids;
  if (name == "ids+weights") return CaptureMode::IdsAndWeights;
  return std::nullopt;
}

}  // namespace mote
