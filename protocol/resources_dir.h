#pragma once
// Where the shipped resources (resources/datasets, resources/classifiers, resources/models) are:
// one search for the CLI, the GUI (sessions/resources.h) and `mote-engine train-organism`.
#include <filesystem>

namespace mote {

// The first of: $MOTE_RESOURCES_DIR; <exe dir>/../share/mote/resources; <exe dir>/../resources;
// <exe dir>/../../resources (build/bin -> source tree); the source tree this was built from. A
// candidate counts if it has a datasets/ or classifiers/ folder. Throws Error naming the places
// searched if none does.
std::filesystem::path find_resources_dir();

}  // namespace mote
