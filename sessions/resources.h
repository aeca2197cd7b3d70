#pragma once
// The shipped resources (resources/datasets, resources/classifiers, resources/models) for the CLI
// and the GUI: found next to the executable in a build or install tree, or through
// $MOTE_RESOURCES_DIR.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mote::sessions {

// The first of: $MOTE_RESOURCES_DIR; <exe dir>/../share/mote/resources; <exe dir>/../resources;
// <exe dir>/../../resources (build/bin -> source tree); the source tree this was built from.
// A candidate counts if it has a datasets/ or classifiers/ folder. Throws SessionError naming
// the places searched if none does.
std::filesystem::path resources_dir();

// Names of the built-in datasets / classifiers (file stems of resources/<kind>/*.json), sorted.
std::vector<std::string> builtin_names(const std::string& kind);
// resources/datasets/<name>.json; throws SessionError listing the built-in names if unknown.
std::filesystem::path builtin_dataset_path(const std::string& name);
// resources/classifiers/<name>.json; the same.
std::filesystem::path builtin_classifier_path(const std::string& name);
// The shipped demo model: the first (by name) resources/models/<dir> holding a config.json.
std::optional<std::filesystem::path> default_model_dir();

}  // namespace mote::sessions
