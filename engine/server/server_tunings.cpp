#include "engine/server/server_tunings.h"

#include <algorithm>
#include <cctype>

#include "engine/server/server_errors.h"

namespace mote::server {

void NamedTunings::add(const std::string& name, TuningSpec tuning, const ModelGeometry& geometry) {
  const bool name_ok = !name.empty() && name.size() <= 64 &&
                       std::all_of(name.begin(), name.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                       });
  if (!name_ok)
    throw invalid_request("a tuning's name must be 1-64 letters, digits, '.', '_' or '-'",
                          "invalid_name");
  try {
    tuning.validate(geometry);
  } catch (const TuningError& e) {
    throw invalid_request("tuning '" + name + "': " + e.what(), "invalid_expert");
  }
  std::lock_guard lock(mutex_);
  const auto it = tunings_.find(name);
  if (it != tunings_.end() && it->second != tuning)
    throw RequestError(409, "invalid_request_error", "tuning_exists",
                       "a different tuning is already served as '" + name +
                           "' (a model id keeps its meaning: choose another name)");
  tunings_.emplace(name, std::move(tuning));
}

std::map<std::string, TuningSpec> NamedTunings::all() const {
  std::lock_guard lock(mutex_);
  return tunings_;
}

std::string NamedTunings::resolve(GenerateRequest& request, const std::string& served) const {
  const std::string& model = request.model;
  if (model.empty() || model == served) return served;
  if (model.size() <= served.size() + 1 || model.compare(0, served.size(), served) != 0 ||
      model[served.size()] != ':')
    throw model_not_found(model, served);
  const std::string name = model.substr(served.size() + 1);
  TuningSpec tuning;
  {
    std::lock_guard lock(mutex_);
    const auto it = tunings_.find(name);
    if (it == tunings_.end()) throw model_not_found(model, served);
    tuning = it->second;
  }
  if (!request.mote.tuning.empty() && !(request.mote.tuning == tuning))
    throw invalid_request("the request's mote.tuning differs from the tuning of the model '" +
                              model + "': send one of them",
                          "tuning_conflict");
  request.mote.tuning = std::move(tuning);
  return model;
}

}  // namespace mote::server
