#pragma once
// What routing a request records per token: nothing, the selected expert ids, or ids and router
// weights. Wire names: "none", "ids", "ids+weights".
#include <optional>
#include <string>
#include <string_view>

namespace mote {

enum class CaptureMode { None, Ids, IdsAndWeights };

std::string capture_mode_name(CaptureMode mode);
// nullopt for anything but the three wire names.
std::optional<CaptureMode> capture_mode_from_name(std::string_view name);

}  // namespace mote
