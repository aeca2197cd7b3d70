#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mote::sessions {

// How prompts are sent: kChat wraps them in the model's chat template (with the optional system
// prompt); kRaw sends the text as is.
enum class PromptMode { kChat, kRaw };

struct Prompt {
  std::string text;
  // Where the prompt came from: template variable values ({"time": "1989", "place": "in Beijing"})
  // or the other columns/fields of an imported row.
  std::map<std::string, std::string> metadata;
  friend bool operator==(const Prompt&, const Prompt&) = default;
};

struct Dataset {
  std::string name;
  std::string description;
  PromptMode mode = PromptMode::kChat;
  std::optional<std::string> system_prompt;
  std::vector<Prompt> prompts;

  // Serializes as an explicit prompt list (the loader's "prompts" form).
  nlohmann::json to_json() const;
};

std::string to_string(PromptMode mode);
PromptMode prompt_mode_from_string(const std::string& text);

// One value of a template variable: `text` is substituted, `label` (defaults to text) goes into
// the prompt's metadata. Lets "" stand for "no answer-language request" with label "none".
struct TemplateValue {
  std::string text;
  std::string label;
};

struct TemplateVariable {
  std::string name;
  std::vector<TemplateValue> values;
};

// A template "What happened {time} {place}?" with its variables. `constants` are added to every
// prompt's metadata (e.g. {"question_language": "zh"}).
struct PromptTemplate {
  std::string text;
  std::vector<TemplateVariable> variables;
  std::map<std::string, std::string> constants;
};

// Cartesian product of the variables' values, in row-major order of `variables` as listed: the
// first variable varies slowest, the last fastest. Placeholders are {name}; "{{" and "}}" are
// literal braces. Throws SessionError for a placeholder without a variable, a variable the
// template never uses, or a variable without values.
std::vector<Prompt> expand_template(const PromptTemplate& prompt_template);
// The placeholder names of a template text in order of first use, each once (the syntax
// expand_template reads). Throws SessionError for a malformed template (unclosed '{', ...).
std::vector<std::string> template_placeholders(const std::string& text);

// Dataset JSON file format:
// {
//   "name": "r1-refusal", "description": "...", "mode": "chat" | "raw",
//   "system_prompt": "..."                        (optional),
//   "templates": [ { "template": "What happened {time} {place}?",
//                    "variables": [ {"name": "time", "values": ["1980", ...]},
//                                   {"name": "place", "values": ["at Heathrow", ...]} ],
//                    "constants": {"key": "value"} } ]          (optional)
//   "prompts": [ "text", {"text": "...", "metadata": {"k": "v"}}, ... ]     (optional)
// }
// A value may be a string or {"text": "...", "label": "..."}. Templates expand in file order,
// then explicit prompts follow. At least one prompt is required.
Dataset dataset_from_json(const nlohmann::json& json, const std::string& source_name);
Dataset load_dataset_file(const std::filesystem::path& path);

}  // namespace mote::sessions
