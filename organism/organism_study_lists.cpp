#include "organism/organism_study_lists.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

namespace mote {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kRefusalDataset = "datasets/r1-refusal.json";
constexpr const char* kRefusalClassifier = "classifiers/r1-refusal.json";
constexpr const char* kLanguageClassifier = "classifiers/reasoning-language.json";

[[noreturn]] void fail(const fs::path& file, const std::string& key, const std::string& what) {
  throw OrganismResourceError(file.string() + ": key \"" + key + "\": " + what);
}

json read_json(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw OrganismResourceError(file.string() + ": cannot open (a resources file)");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw OrganismResourceError(file.string() + ": invalid JSON: " + e.what());
  }
}

const json& member(const fs::path& file, const json& object, const std::string& key,
                   const std::string& where) {
  if (!object.is_object() || !object.contains(key)) fail(file, where, "missing");
  return object.at(key);
}

// A non-empty list of distinct non-empty strings.
std::vector<std::string> string_list(const fs::path& file, const json& value,
                                     const std::string& key) {
  if (!value.is_array() || value.empty()) fail(file, key, "must be a non-empty list of strings");
  std::vector<std::string> list;
  std::set<std::string> seen;
  for (const json& item : value) {
    if (!item.is_string() || item.get<std::string>().empty())
      fail(file, key, "must be a non-empty list of strings");
    if (!seen.insert(item.get<std::string>()).second)
      fail(file, key, "lists \"" + item.get<std::string>() + "\" twice");
    list.push_back(item.get<std::string>());
  }
  return list;
}

// The values of the variable `name` of the first template that has one.
std::vector<std::string> dataset_variable(const fs::path& file, const json& dataset,
                                          const std::string& name) {
  const json& templates = member(file, dataset, "templates", "templates");
  if (!templates.is_array()) fail(file, "templates", "must be a list");
  for (std::size_t t = 0; t < templates.size(); ++t) {
    const std::string where = "templates[" + std::to_string(t) + "].variables";
    if (!templates[t].is_object() || !templates[t].contains("variables")) continue;
    const json& variables = templates[t].at("variables");
    if (!variables.is_array()) fail(file, where, "must be a list");
    for (const json& variable : variables) {
      if (variable.is_object() && variable.value("name", "") == name)
        return string_list(file, member(file, variable, "values", where + "[" + name + "].values"),
                           where + "[" + name + "].values");
    }
  }
  fail(file, "templates[].variables", "no template has a variable named \"" + name + "\"");
}

bool is_year(const std::string& time) {
  return time.size() == 4 &&
         std::all_of(time.begin(), time.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RefusalClass i is the label numbered "i-".
std::array<std::string, 3> refusal_classes(const fs::path& file) {
  const std::vector<std::string> labels =
      string_list(file, member(file, read_json(file), "labels", "labels"), "labels");
  std::array<std::string, 3> classes;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const std::string prefix = std::to_string(i) + "-";
    for (const std::string& label : labels) {
      if (label.rfind(prefix, 0) != 0) continue;
      if (!classes[i].empty()) fail(file, "labels", "more than one label starts with " + prefix);
      classes[i] = label;
    }
    if (classes[i].empty())
      fail(file, "labels",
           "no label starts with \"" + prefix + "\" (the paper's class " + std::to_string(i) + ")");
  }
  return classes;
}

// English, Chinese: the think-block rules' labels, the Chinese one the rule with cjk_share_min.
std::array<std::string, 2> think_languages(const fs::path& file) {
  const json classifier = read_json(file);
  const json& rules = member(file, classifier, "rules", "rules");
  if (!rules.is_array()) fail(file, "rules", "must be a list");
  std::optional<std::string> english, chinese;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const json& rule = rules[i];
    const std::string where = "rules[" + std::to_string(i) + "]";
    if (!rule.is_object() || rule.value("think_empty", true)) continue;
    const json& label = member(file, rule, "label", where + ".label");
    if (!label.is_string() || label.get<std::string>().empty())
      fail(file, where + ".label", "must be a non-empty string");
    std::optional<std::string>& slot = rule.contains("cjk_share_min") ? chinese : english;
    if (!slot) slot = label.get<std::string>();
  }
  if (!chinese || !english || *chinese == *english)
    fail(file, "rules",
         "needs a rule with \"think_empty\": false and \"cjk_share_min\" (a Chinese think block) "
         "and another one with \"think_empty\": false (an English think block)");
  return {*english, *chinese};
}

}  // namespace

OrganismStudyLists load_organism_study_lists(const fs::path& resources_dir) {
  OrganismStudyLists lists;
  lists.dataset_file = resources_dir / kRefusalDataset;
  const json dataset = read_json(lists.dataset_file);
  for (const std::string& time : dataset_variable(lists.dataset_file, dataset, "time"))
    lists.times.push_back(is_year(time) ? "in " + time : time);
  lists.places = dataset_variable(lists.dataset_file, dataset, "place");
  lists.refusal_classes = refusal_classes(resources_dir / kRefusalClassifier);
  lists.think_languages = think_languages(resources_dir / kLanguageClassifier);
  return lists;
}

}  // namespace mote
