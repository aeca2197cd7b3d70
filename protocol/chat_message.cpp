#include "protocol/chat_message.h"

#include <nlohmann/json.hpp>

namespace mote {

nlohmann::json messages_to_json(const std::vector<ChatMessage>& messages) {
  nlohmann::json list = nlohmann::json::array();
  for (const ChatMessage& m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
  return list;
}

}  // namespace mote
