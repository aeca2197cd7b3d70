#include "sessions/engine_types.h"

#include <limits>

#include "sessions/session_error.h"

namespace mote::sessions {
using json = nlohmann::json;

json SamplingSettings::to_json() const {
  json j = {
      {"temperature", temperature}, {"top_p", top_p}, {"top_k", top_k}, {"max_tokens", max_tokens}};
  if (seed) j["seed"] = *seed;
  return j;
}

SamplingSettings SamplingSettings::from_json(const json& j) {
  if (!j.is_object())
    throw SessionError("sampling settings: expected a JSON object, got " + j.dump());
  SamplingSettings s;
  for (const auto& [key, value] : j.items()) {
    auto number = [&] {
      if (!value.is_number()) throw SessionError("sampling settings: " + key + " must be a number");
      return value.get<double>();
    };
    auto integer = [&](std::int64_t low, std::int64_t high) {
      if (!value.is_number_integer() || value.get<std::int64_t>() < low ||
          value.get<std::int64_t>() > high)
        throw SessionError("sampling settings: " + key + " must be an integer in [" +
                           std::to_string(low) + ", " + std::to_string(high) + "]");
      return value.get<std::int64_t>();
    };
    if (key == "temperature") {
      s.temperature = number();
    } else if (key == "top_p") {
      s.top_p = number();
    } else if (key == "top_k") {
      s.top_k = static_cast<int>(integer(0, 1 << 30));
    } else if (key == "max_tokens") {
      s.max_tokens = static_cast<int>(integer(0, 1 << 30));
    } else if (key == "seed") {
      s.seed = integer(std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max());
    } else {
      throw SessionError("sampling settings: unknown key \"" + key +
                         "\" (known: temperature, top_p, top_k, max_tokens, seed)");
    }
  }
  return s;
}

}  // namespace mote::sessions
