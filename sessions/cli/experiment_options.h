#pragma once
// Option values shared by the experiment commands (ftri, eval, control, dose, export).
#include <string>

#include "protocol/cli_args.h"
#include "sessions/evaluation.h"
#include "sessions/result_export.h"

namespace mote::cli {

// "suppress" / "stimulate"; `what` names the option in the error.
inline sessions::TuningDirection direction_from(const std::string& text, const std::string& what) {
  if (text == "suppress") return sessions::TuningDirection::kSuppress;
  if (text == "stimulate") return sessions::TuningDirection::kStimulate;
  throw UsageError(what + ": expected suppress or stimulate, got '" + text + "'");
}

// "top" / "bottom".
inline sessions::RankingEnd ranking_end_from(const std::string& text, const std::string& what) {
  if (text == "top") return sessions::RankingEnd::kTop;
  if (text == "bottom") return sessions::RankingEnd::kBottom;
  throw UsageError(what + ": expected top or bottom, got '" + text + "'");
}

}  // namespace mote::cli
