#include "engine/tokenizer/chat_template.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

constexpr const char* kBos = "<｜begin▁of▁sentence｜>";
constexpr const char* kEos = "<｜end▁of▁sentence｜>";
constexpr const char* kUser = "<｜User｜>";
constexpr const char* kAssistant = "<｜Assistant｜>";
constexpr const char* kToolOutputsBegin = "<｜tool▁outputs▁begin｜>";
constexpr const char* kToolOutputBegin = "<｜tool▁output▁begin｜>";
constexpr const char* kToolOutputEnd = "<｜tool▁output▁end｜>";
constexpr const char* kToolOutputsEnd = "<｜tool▁outputs▁end｜>";

struct NamedKind {
  const char* name;
  ChatTemplate::Kind kind;
};
constexpr NamedKind kNames[] = {
    {"deepseek-r1", ChatTemplate::Kind::DeepSeekR1},
    {"deepseek-r1-early", ChatTemplate::Kind::DeepSeekR1Early},
    {"deepseek-v3", ChatTemplate::Kind::DeepSeekV3},
    {"deepseek-v2", ChatTemplate::Kind::DeepSeekV2},
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

[[noreturn]] void unknown_role(const std::string& role, const std::string& template_name) {
  throw UsageError("chat message role '" + role + "' is not supported by the " + template_name +
                   " template");
}

// tokenizer_config.json writes special tokens as a string or as an AddedToken object.
std::optional<std::string> token_field(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

ChatTemplate::ChatTemplate(Kind kind) : kind_(kind), bos_token_(kBos), eos_token_(kEos) {}

std::vector<std::string> ChatTemplate::known_names() {
  std::vector<std::string> names;
  for (const NamedKind& entry : kNames) names.emplace_back(entry.name);
  return names;
}

ChatTemplate ChatTemplate::named(const std::string& name) {
  for (const NamedKind& entry : kNames) {
    if (name == entry.name) return ChatTemplate(entry.kind);
  }
  std::string known;
  for (const NamedKind& entry : kNames)
    known += std::string(known.empty() ? "" : ", ") + entry.name;
  throw UsageError("unknown chat template '" + name + "' (known: " + known + ")");
}

std::string ChatTemplate::name() const {
  for (const NamedKind& entry : kNames) {
    if (entry.kind == kind_) return entry.name;
  }
  return "unknown";
}

std::optional<ChatTemplate::Kind> ChatTemplate::recognize(const std::string& jinja) {
  const bool has_chat_markers = contains(jinja, kUser) && contains(jinja, kAssistant);
  if (has_chat_markers) {
    // R1 strips earlier reasoning ("content.split('</think>')"); V3 has no <think> handling.
    if (contains(jinja, "</think>")) {
      return contains(jinja, std::string(kAssistant) + "<think>") ? Kind::DeepSeekR1
                                                                  : Kind::DeepSeekR1Early;
    }
    return Kind::DeepSeekV3;
  }
  if (contains(jinja, "'User: '") && contains(jinja, "'Assistant: '") &&
      contains(jinja, "'Assistant:'")) {
    return Kind::DeepSeekV2;
  }
  return std::nullopt;
}

ChatTemplate ChatTemplate::from_tokenizer_config(const std::filesystem::path& path,
                                                 const std::optional<std::string>& override_name) {
  nlohmann::json config = nlohmann::json::object();
  std::ifstream in(path);
  if (in) {
    try {
      config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(path.string() + " is not valid JSON: " + e.what());
    }
  } else if (!override_name) {
    throw ConfigError("cannot open " + path.string() + " to choose a chat template");
  }
  std::optional<ChatTemplate> result;
  if (override_name) {
    result = named(*override_name);
  } else {
    // chat_template is a string, or (newer files) a list of {name, template}; use "default".
    std::string jinja;
    const auto it = config.find("chat_template");
    if (it != config.end() && it->is_string()) {
      jinja = it->get<std::string>();
    } else if (it != config.end() && it->is_array()) {
      for (const auto& entry : *it) {
        if (entry.is_object() && entry.value("name", "") == "default" &&
            entry.contains("template") && entry["template"].is_string()) {
          jinja = entry["template"].get<std::string>();
        }
      }
    }
    if (jinja.empty()) {
      throw ConfigError(path.string() +
                        " has no chat_template; choose one by name (--template NAME)");
    }
    const std::optional<Kind> kind = recognize(jinja);
    if (!kind) {
      std::string known;
      for (const NamedKind& entry : kNames)
        known += std::string(known.empty() ? "" : ", ") + entry.name;
      throw ConfigError("the chat_template in " + path.string() +
                        " is not a known DeepSeek template; choose one by name (" + known + ")");
    }
    result = ChatTemplate(*kind);
  }
  if (auto bos = token_field(config, "bos_token")) result->bos_token_ = *bos;
  if (auto eos = token_field(config, "eos_token")) result->eos_token_ = *eos;
  return *result;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
  return kind_ == Kind::DeepSeekV2 ? render_v2(messages, add_generation_prompt)
                                   : render_v3_family(messages, add_generation_prompt);
}

std::string ChatTemplate::render_v3_family(const std::vector<ChatMessage>& messages,
                                           bool add_generation_prompt) const {
  const bool r1 = kind_ == Kind::DeepSeekR1 || kind_ == Kind::DeepSeekR1Early;
  // System prompts go first, right after the BOS: V3 joins them all with a blank line, R1 keeps
  // only the last one.
  std::string system_prompt;
  bool first_system = true;
  for (const ChatMessage& m : messages) {
    if (m.role != "system") continue;
    if (r1 || first_system) {
      system_prompt = m.content;
    } else {
      system_prompt += "\n\n" + m.content;
    }
    first_system = false;
  }
  std::string out = bos_token_ + system_prompt;
  bool in_tool_outputs = false, first_tool_output = true;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") continue;
    if (m.role == "user") {
      in_tool_outputs = false;
      out += kUser + m.content;
    } else if (m.role == "assistant") {
      if (in_tool_outputs) {
        out += kToolOutputsEnd + m.content + kEos;
        in_tool_outputs = false;
      } else {
        std::string content = m.content;
        // R1 drops an earlier answer's reasoning: only what follows the last </think> stays.
        if (r1) {
          const std::size_t close = content.rfind("</think>");
          if (close != std::string::npos) content.erase(0, close + 8);
        }
        out += kAssistant + content + kEos;
      }
    } else if (m.role == "tool") {
      in_tool_outputs = true;
      out += first_tool_output ? std::string(kToolOutputsBegin) + kToolOutputBegin
                               : std::string("\n") + kToolOutputBegin;
      out += m.content + kToolOutputEnd;
      first_tool_output = false;
    } else {
      unknown_role(m.role, name());
    }
  }
  if (in_tool_outputs) out += kToolOutputsEnd;
  if (add_generation_prompt && !in_tool_outputs) {
    out += kAssistant;
    if (kind_ == Kind::DeepSeekR1) out += "<think>\n";
  }
  return out;
}

std::string ChatTemplate::render_v2(const std::vector<ChatMessage>& messages,
                                    bool add_generation_prompt) const {
  std::string out = bos_token_;
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      out += "User: " + m.content + "\n\n";
    } else if (m.role == "assistant") {
      out += "Assistant: " + m.content + eos_token_;
    } else if (m.role == "system") {
      out += m.content + "\n\n";
    } else {
      unknown_role(m.role, name());
    }
  }
  if (add_generation_prompt) out += "Assistant:";
  return out;
}

}  // namespace mote
