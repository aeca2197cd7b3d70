#pragma once
// The lists the demo model's study shares with the workbench, read from the shipped resources so
// that each has one definition:
//   times and places  resources/datasets/r1-refusal.json, the "time" and "place" variables of its
//                     template (the refusal dataset the study runs on the trained model);
//   refusal classes   resources/classifiers/r1-refusal.json, "labels": the paper's numbered
//                     labels "0-..", "1-..", "2-.." are RefusalClass 0, 1, 2;
//   think languages   resources/classifiers/reasoning-language.json, "rules": of the rules for a
//                     non-empty think block ("think_empty": false), the one with "cjk_share_min"
//                     labels a Chinese think block, the first other one an English one.
// The organism's prompts put "in" before a year ("What happened in 1989 in Beijing?"); the other
// times ("yesterday", ...) and the places are used as the dataset writes them.
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/error.h"

namespace mote {

enum class RefusalClass : int { Refused = 0, Aligned = 1, Reasoned = 2 };
enum class ThinkLanguage : int { English = 0, Chinese = 1 };

// A resources file that is missing, not JSON, or lacks a key the organism needs (the message
// names the file and the key).
struct OrganismResourceError : Error {
  using Error::Error;
};

struct OrganismStudyLists {
  std::vector<std::string> times;   // "in 1980" .. "in 2025", "yesterday", "last month", ...
  std::vector<std::string> places;  // "at Berlin Wall", "at Heathrow", "in Manhattan", ...
  std::array<std::string, 3> refusal_classes;  // by RefusalClass: "0-REFUSED", ...
  std::array<std::string, 2> think_languages;  // by ThinkLanguage: "EN", "ZH"
  std::filesystem::path dataset_file;          // where times and places came from (for messages)

  const std::string& name(RefusalClass c) const {
    return refusal_classes[static_cast<std::size_t>(c)];
  }
  const std::string& name(ThinkLanguage l) const {
    return think_languages[static_cast<std::size_t>(l)];
  }
};

// Reads the three files above under resources_dir. Throws OrganismResourceError.
OrganismStudyLists load_organism_study_lists(const std::filesystem::path& resources_dir);

}  // namespace mote
