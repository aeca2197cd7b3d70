#include "sessions/template_values.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "protocol/cli_args.h"
#include "sessions/session_error.h"

namespace mote::sessions {

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// "name: values" -> name, if the line starts with a variable name and a colon.
std::string line_name(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) return {};
  const std::string name = trimmed(line.substr(0, colon));
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) return {};
  return name;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "{" : ", {") + n + "}";
  return out.empty() ? "none" : out;
}

}  // namespace

TemplateVariable template_variable(const std::string& name, const std::string& list) {
  TemplateVariable variable;
  variable.name = name;
  if (trimmed(list).empty()) throw SessionError("variable \"" + name + "\" has no values");
  const auto parts = cli::split_escaped(list, ',');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string value = trimmed(parts[i]);
    if (value.empty()) {
      throw SessionError("variable \"" + name + "\": value " + std::to_string(i + 1) + " of " +
                         std::to_string(parts.size()) + " is empty in \"" + list + "\"");
    }
    variable.values.push_back({value, value});
  }
  return variable;
}

PromptTemplate template_from_lines(const std::string& template_text, const std::string& lines) {
  PromptTemplate t;
  t.text = template_text;
  const std::vector<std::string> names = template_placeholders(template_text);
  std::set<std::string> given;
  std::istringstream in(lines);
  std::string raw;
  for (std::size_t number = 1; std::getline(in, raw); ++number) {
    const std::string line = trimmed(raw);
    if (line.empty()) continue;
    const std::string where = "values line " + std::to_string(number) + " \"" + line + "\"";
    std::string name = line_name(line);
    std::string list = line;
    if (!name.empty()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw SessionError(where + ": the template has no placeholder {" + name +
                           "} (its placeholders: " + joined(names) + ")");
      }
      if (given.count(name))
        throw SessionError(where + ": placeholder {" + name + "} has a values line already");
      list = line.substr(line.find(':') + 1);
    } else {
      const auto next = std::find_if(names.begin(), names.end(),
                                     [&](const std::string& n) { return !given.count(n); });
      if (next == names.end()) {
        throw SessionError(where + ": every placeholder (" + joined(names) +
                           ") has its values line already; name the placeholder (\"name: a, b\")");
      }
      name = *next;
    }
    try {
      t.variables.push_back(template_variable(name, list));
    } catch (const SessionError& e) {
      throw SessionError(where + ": " + e.what());
    }
    given.insert(name);
  }
  for (const auto& name : names)
    if (!given.count(name))
      throw SessionError("placeholder {" + name + "} has no values line (\"" + name + ": a, b\")");
  return t;
}

}  // namespace mote::sessions
