#include "sessions/dataset.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "sessions/session_error.h"

namespace mote::sessions {

std::string to_string(PromptMode mode) {
  return mode == PromptMode::kChat ? "chat" : "raw";
}

PromptMode prompt_mode_from_string(const std::string& text) {
  if (text == "chat") return PromptMode::kChat;
  if (text == "raw") return PromptMode::kRaw;
  throw SessionError("prompt mode must be \"chat\" or \"raw\", got \"" + text + "\"");
}

nlohmann::json Dataset::to_json() const {
  nlohmann::json json = {{"name", name}, {"description", description}, {"mode", to_string(mode)}};
  if (system_prompt) json["system_prompt"] = *system_prompt;
  auto prompts_json = nlohmann::json::array();
  for (const auto& p : prompts)
    prompts_json.push_back({{"text", p.text}, {"metadata", p.metadata}});
  json["prompts"] = std::move(prompts_json);
  return json;
}

namespace {

// A template split into literal pieces and placeholder names: piece i is literal if
// placeholder[i] is empty.
struct ParsedTemplate {
  std::vector<std::string> pieces;
  std::vector<bool> is_placeholder;
};

ParsedTemplate parse_template(const std::string& text) {
  ParsedTemplate parsed;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) {
      parsed.pieces.push_back(literal);
      parsed.is_placeholder.push_back(false);
      literal.clear();
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal.push_back(c);
      ++i;
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string::npos)
        throw SessionError("template \"" + text + "\": unclosed '{' at offset " +
                           std::to_string(i));
      const std::string name = text.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string::npos) {
        throw SessionError("template \"" + text + "\": bad placeholder at offset " +
                           std::to_string(i));
      }
      flush();
      parsed.pieces.push_back(name);
      parsed.is_placeholder.push_back(true);
      i = close;
    } else if (c == '}') {
      throw SessionError("template \"" + text + "\": stray '}' at offset " + std::to_string(i) +
                         " (use \"}}\")");
    } else {
      literal.push_back(c);
    }
  }
  flush();
  return parsed;
}

}  // namespace

std::vector<std::string> template_placeholders(const std::string& text) {
  const ParsedTemplate parsed = parse_template(text);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < parsed.pieces.size(); ++i)
    if (parsed.is_placeholder[i] &&
        std::find(names.begin(), names.end(), parsed.pieces[i]) == names.end())
      names.push_back(parsed.pieces[i]);
  return names;
}

std::vector<Prompt> expand_template(const PromptTemplate& prompt_template) {
  const ParsedTemplate parsed = parse_template(prompt_template.text);
  std::map<std::string, std::size_t> variable_index;
  for (std::size_t v = 0; v < prompt_template.variables.size(); ++v) {
    const auto& variable = prompt_template.variables[v];
    if (variable.values.empty())
      throw SessionError("template variable \"" + variable.name + "\" has no values");
    if (!variable_index.emplace(variable.name, v).second)
      throw SessionError("template variable \"" + variable.name + "\" defined twice");
  }
  std::set<std::string> used;
  for (std::size_t i = 0; i < parsed.pieces.size(); ++i) {
    if (!parsed.is_placeholder[i]) continue;
    if (!variable_index.count(parsed.pieces[i])) {
      throw SessionError("template \"" + prompt_template.text + "\": placeholder {" +
                         parsed.pieces[i] + "} has no variable");
    }
    used.insert(parsed.pieces[i]);
  }
  for (const auto& variable : prompt_template.variables) {
    if (!used.count(variable.name)) {
      throw SessionError("template \"" + prompt_template.text + "\": variable \"" + variable.name +
                         "\" is never used");
    }
  }
  std::vector<Prompt> prompts;
  const std::size_t n_vars = prompt_template.variables.size();
  std::vector<std::size_t> choice(n_vars, 0);  // odometer, last variable fastest
  while (true) {
    Prompt prompt;
    prompt.metadata = prompt_template.constants;
    for (std::size_t i = 0; i < parsed.pieces.size(); ++i) {
      if (parsed.is_placeholder[i]) {
        const std::size_t v = variable_index.at(parsed.pieces[i]);
        prompt.text += prompt_template.variables[v].values[choice[v]].text;
      } else {
        prompt.text += parsed.pieces[i];
      }
    }
    for (std::size_t v = 0; v < n_vars; ++v) {
      prompt.metadata[prompt_template.variables[v].name] =
          prompt_template.variables[v].values[choice[v]].label;
    }
    prompts.push_back(std::move(prompt));
    std::size_t v = n_vars;
    while (v > 0) {
      --v;
      if (++choice[v] < prompt_template.variables[v].values.size()) break;
      choice[v] = 0;
      if (v == 0) return prompts;
    }
    if (n_vars == 0) return prompts;
  }
}

namespace {

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.contains(key)) throw SessionError(where + ": missing \"" + key + "\"");
  if (!object.at(key).is_string()) throw SessionError(where + ": \"" + key + "\" must be a string");
  return object.at(key).get<std::string>();
}

std::map<std::string, std::string> string_map(const nlohmann::json& json,
                                              const std::string& where) {
  if (!json.is_object()) throw SessionError(where + " must be an object of strings");
  std::map<std::string, std::string> map;
  for (const auto& [key, value] : json.items()) {
    if (value.is_string())
      map[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean())
      map[key] = value.dump();
    else
      throw SessionError(where + ": \"" + key + "\" must be a string or number");
  }
  return map;
}

PromptTemplate template_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw SessionError(where + " must be an object");
  PromptTemplate t;
  t.text = string_field(json, "template", where);
  if (json.contains("constants"))
    t.constants = string_map(json.at("constants"), where + ".constants");
  if (!json.contains("variables") || !json.at("variables").is_array()) {
    throw SessionError(where + ": \"variables\" must be a list of {\"name\", \"values\"}");
  }
  const auto& variables = json.at("variables");
  for (std::size_t v = 0; v < variables.size(); ++v) {
    const std::string vwhere = where + ".variables[" + std::to_string(v) + "]";
    if (!variables[v].is_object()) throw SessionError(vwhere + " must be an object");
    TemplateVariable variable;
    variable.name = string_field(variables[v], "name", vwhere);
    if (!variables[v].contains("values") || !variables[v].at("values").is_array()) {
      throw SessionError(vwhere + ": \"values\" must be a list");
    }
    const auto& values = variables[v].at("values");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string iwhere = vwhere + ".values[" + std::to_string(i) + "]";
      if (values[i].is_string()) {
        variable.values.push_back({values[i].get<std::string>(), values[i].get<std::string>()});
      } else if (values[i].is_number_integer()) {
        variable.values.push_back({values[i].dump(), values[i].dump()});
      } else if (values[i].is_object()) {
        TemplateValue value;
        value.text = string_field(values[i], "text", iwhere);
        value.label =
            values[i].contains("label") ? string_field(values[i], "label", iwhere) : value.text;
        variable.values.push_back(std::move(value));
      } else {
        throw SessionError(iwhere + " must be a string, an integer or {\"text\", \"label\"}");
      }
    }
    t.variables.push_back(std::move(variable));
  }
  return t;
}

}  // namespace

Dataset dataset_from_json(const nlohmann::json& json, const std::string& source_name) {
  if (!json.is_object()) throw SessionError(source_name + ": a dataset must be a JSON object");
  Dataset dataset;
  dataset.name = string_field(json, "name", source_name);
  if (json.contains("description"))
    dataset.description = string_field(json, "description", source_name);
  if (json.contains("mode"))
    dataset.mode = prompt_mode_from_string(string_field(json, "mode", source_name));
  if (json.contains("system_prompt") && !json.at("system_prompt").is_null()) {
    dataset.system_prompt = string_field(json, "system_prompt", source_name);
  }
  for (const auto& [key, value] : json.items()) {
    static const std::set<std::string> known{"name",          "description", "mode",
                                             "system_prompt", "templates",   "prompts"};
    if (!known.count(key)) throw SessionError(source_name + ": unknown key \"" + key + "\"");
  }
  if (json.contains("templates")) {
    const auto& templates = json.at("templates");
    if (!templates.is_array()) throw SessionError(source_name + ": \"templates\" must be a list");
    for (std::size_t t = 0; t < templates.size(); ++t) {
      const std::string where = source_name + ": templates[" + std::to_string(t) + "]";
      PromptTemplate prompt_template = template_from_json(templates[t], where);
      try {
        for (auto& p : expand_template(prompt_template)) dataset.prompts.push_back(std::move(p));
      } catch (const SessionError& e) {
        throw SessionError(where + ": " + e.what());
      }
    }
  }
  if (json.contains("prompts")) {
    const auto& prompts = json.at("prompts");
    if (!prompts.is_array()) throw SessionError(source_name + ": \"prompts\" must be a list");
    for (std::size_t i = 0; i < prompts.size(); ++i) {
      const std::string where = source_name + ": prompts[" + std::to_string(i) + "]";
      Prompt prompt;
      if (prompts[i].is_string()) {
        prompt.text = prompts[i].get<std::string>();
      } else if (prompts[i].is_object()) {
        prompt.text = string_field(prompts[i], "text", where);
        if (prompts[i].contains("metadata"))
          prompt.metadata = string_map(prompts[i].at("metadata"), where + ".metadata");
      } else {
        throw SessionError(where + " must be a string or {\"text\", \"metadata\"}");
      }
      dataset.prompts.push_back(std::move(prompt));
    }
  }
  if (dataset.prompts.empty())
    throw SessionError(source_name + ": dataset \"" + dataset.name + "\" has no prompts");
  return dataset;
}

Dataset load_dataset_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) throw SessionError("cannot read dataset file " + path.string());
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(file);
  } catch (const nlohmann::json::parse_error& e) {
    throw SessionError(path.string() + ": invalid JSON: " + e.what());
  }
  return dataset_from_json(json, path.string());
}

}  // namespace mote::sessions
