#include "sessions/resources.h"

#include <algorithm>

#include "protocol/resources_dir.h"
#include "sessions/session_error.h"

namespace mote::sessions {

namespace fs = std::filesystem;

namespace {

fs::path builtin_path(const std::string& kind, const std::string& name) {
  const fs::path path = resources_dir() / kind / (name + ".json");
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  std::string known;
  for (const auto& n : builtin_names(kind)) known += (known.empty() ? "" : ", ") + n;
  throw SessionError("no built-in " + std::string(kind == "datasets" ? "dataset" : "classifier") +
                     " named \"" + name + "\" (built-in: " + (known.empty() ? "none" : known) +
                     "; or pass a file path)");
}

}  // namespace

fs::path resources_dir() {
  try {
    return find_resources_dir();
  } catch (const SessionError&) {
    throw;
  } catch (const Error& e) {
    throw SessionError(e.what());
  }
}

std::vector<std::string> builtin_names(const std::string& kind) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(resources_dir() / kind, ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

fs::path builtin_dataset_path(const std::string& name) {
  return builtin_path("datasets", name);
}

fs::path builtin_classifier_path(const std::string& name) {
  return builtin_path("classifiers", name);
}

std::optional<fs::path> default_model_dir() {
  fs::path root;
  try {
    root = resources_dir() / "models";
  } catch (const SessionError&) {
    return std::nullopt;
  }
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (fs::is_regular_file(entry.path() / "config.json", ec)) dirs.push_back(entry.path());
  }
  if (dirs.empty()) return std::nullopt;
  std::sort(dirs.begin(), dirs.end());
  return dirs.front();
}

}  // namespace mote::sessions
