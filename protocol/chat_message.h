#pragma once
// One chat message: what a client sends in "messages", what the server parses and what the
// model's chat template renders. One struct for the GUI, the CLI, the server and the tokenizer.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mote {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or (V3/R1) "tool"
  std::string content;
  friend bool operator==(const ChatMessage&, const ChatMessage&) = default;
};

// [{"role", "content"}, ...] as OpenAI's chat API writes it.
nlohmann::json messages_to_json(const std::vector<ChatMessage>& messages);

}  // namespace mote
