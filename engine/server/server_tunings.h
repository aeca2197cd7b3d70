#pragma once
// Tunings served as model ids: `mote-engine serve --tuned NAME=TUNING.json` and
// POST /mote/v1/tunings register a tuning under NAME, GET /v1/models lists it as "ID:NAME", and a
// request whose "model" is "ID:NAME" runs with it, so a tool that only sets "model"
// (lm-evaluation-harness, FastChat, promptfoo) evaluates a tuning. Thread-safe; names are never
// removed or redefined (a model id that changed meaning mid-evaluation would mix two models).
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "protocol/wire_request.h"

namespace mote::server {

class NamedTunings {
 public:
  // A name is 1-64 of [A-Za-z0-9._-]; the tuning is validated against `geometry`. Registering a
  // name again with the same tuning is a no-op, with another tuning a 409 (RequestError).
  // Both are RequestErrors (400 for a bad name or tuning) naming the problem.
  void add(const std::string& name, TuningSpec tuning, const ModelGeometry& geometry);
  std::map<std::string, TuningSpec> all() const;

  // Applies request.model: empty or `served` runs the request as it is, "served:NAME" with NAME's
  // tuning (a request that also sends a different mote.tuning is a 400 tuning_conflict), anything
  // else is a 404 model_not_found. Returns the model id the reply names.
  std::string resolve(GenerateRequest& request, const std::string& served) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, TuningSpec> tunings_;
};

}  // namespace mote::server
