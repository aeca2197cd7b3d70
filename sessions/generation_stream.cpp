#include "sessions/generation_stream.h"

#include "sessions/engine_protocol.h"

namespace mote::sessions {

using json = nlohmann::json;

GenerationStream::GenerationStream(bool chat, std::string where,
                                   const std::function<void(const TokenEvent&)>& on_token,
                                   const std::atomic<bool>* cancel)
    : chat_(chat), where_(std::move(where)), on_token_(on_token), cancel_(cancel) {}

void GenerationStream::emit(TokenEvent&& event) {
  if (cancel_ && cancel_->load())
    throw EngineError(EngineError::Kind::kCancelled,
                      "the generation was cancelled (" + where_ + ")");
  result_.text += event.text;
  for (const auto& row : event.rows) result_.routing.push_back(row);
  if (on_token_) {
    ++delivered_;  // counted before the call: a throwing callback has seen the token
    on_token_(event);
  }
}

void GenerationStream::read_mote(const json& mote, std::vector<RoutingRow>& rows) {
  if (!mote.is_object()) throw_protocol_error(where_, "\"mote\" is not an object");
  // Header fields: the first chat chunk, or the first token chunk of a completion.
  if (const auto it = mote.find("moe_layers"); it != mote.end()) {
    try {
      geometry_.moe_layers = it->get<std::vector<int>>();
      geometry_.n_experts = mote.at("n_experts").get<int>();
      geometry_.top_k = mote.at("top_k").get<int>();
    } catch (const json::exception&) {
      throw_protocol_error(where_, "the \"mote\" header lacks moe_layers, n_experts or top_k");
    }
    has_header_ = true;
  }
  if (const auto it = mote.find("seed"); it != mote.end()) {
    if (it->is_number_unsigned()) {
      // The engine's seeds are unsigned 64-bit; ours are the same bits, signed.
      result_.seed = static_cast<std::int64_t>(it->get<std::uint64_t>());
    } else if (it->is_number_integer()) {
      result_.seed = it->get<std::int64_t>();
    } else {
      throw_protocol_error(where_, "mote.seed is not an integer");
    }
    has_seed_ = true;
  }
  if (const auto it = mote.find("routing"); it != mote.end()) {
    if (!it->is_array()) throw_protocol_error(where_, "mote.routing is not an array");
    for (const auto& r : *it)
      rows.push_back(read_wire(where_, [&] { return RoutingRow::from_json(r); }));
  }
  if (const auto it = mote.find("prompt_counts"); it != mote.end()) {
    if (!has_header_) throw_protocol_error(where_, "mote.prompt_counts came before the header");
    result_.prompt_counts =
        read_wire(where_, [&] { return activation_map_from_json(*it, geometry_); });
  }
}

void GenerationStream::on_data(const std::string& data) {
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  if (done_) throw_protocol_error(where_, "an event after [DONE]");
  const json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw_protocol_error(where_, "a stream event is not a JSON object: " + data.substr(0, 120));
  if (j.contains("error")) {
    const EngineErrorBody body = parse_error_json(j);
    throw http_error(where_, status_of_stream_error(body), body, data);
  }
  std::vector<RoutingRow> rows;
  if (const auto it = j.find("mote"); it != j.end()) read_mote(*it, rows);
  if (const auto it = j.find("usage"); it != j.end() && it->is_object()) {
    const auto p = it->find("prompt_tokens"), c = it->find("completion_tokens");
    if (p == it->end() || c == it->end() || !p->is_number_integer() || !c->is_number_integer())
      throw_protocol_error(where_, "usage lacks prompt_tokens or completion_tokens");
    result_.prompt_tokens = p->get<int>();
    result_.completion_tokens = c->get<int>();
    has_usage_ = true;
  }
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) {
    if (!rows.empty()) throw_protocol_error(where_, "routing rows in a chunk without a token");
    return;  // the usage chunk
  }
  const json& choice = (*choices)[0];
  if (!choice.is_object()) throw_protocol_error(where_, "choices[0] is not an object");
  std::string text;
  bool announces_role = false;
  if (chat_) {
    const auto delta = choice.find("delta");
    if (delta != choice.end() && delta->is_object()) {
      if (const auto c = delta->find("content"); c != delta->end() && c->is_string())
        text = c->get<std::string>();
      announces_role = delta->contains("role");
    }
  } else if (const auto t = choice.find("text"); t != choice.end() && t->is_string()) {
    text = t->get<std::string>();
  }
  const auto finish = choice.find("finish_reason");
  if (finish != choice.end() && finish->is_string()) {
    // The last chunk: what the engine held back until the end, no new token.
    result_.finish_reason = finish->get<std::string>();
    if (!rows.empty()) throw_protocol_error(where_, "routing rows in the final chunk");
    if (!text.empty()) {
      TokenEvent event;
      event.index = -1;
      event.text = std::move(text);
      event.flush = true;
      emit(std::move(event));
    }
    return;
  }
  if (announces_role) {  // OpenAI's first chat chunk: the role, no token
    if (!rows.empty() || !text.empty())
      throw_protocol_error(where_, "the role chunk carries a token");
    return;
  }
  TokenEvent event;
  event.index = tokens_++;
  event.text = std::move(text);
  event.rows = std::move(rows);
  emit(std::move(event));
}

GenerationResult GenerationStream::finish(std::int64_t sent_seed) {
  if (result_.finish_reason.empty())
    throw_protocol_error(where_, "the stream ended without a finish_reason");
  if (!has_usage_) result_.completion_tokens = tokens_;
  if (!has_seed_) result_.seed = sent_seed;
  // One row per processed token; the last generated token is never fed back.
  if (!result_.routing.empty() && result_.completion_tokens > 0 &&
      result_.finish_reason != "cancelled") {
    const auto expected =
        static_cast<std::size_t>(result_.prompt_tokens + result_.completion_tokens - 1);
    if (result_.routing.size() != expected) {
      throw_protocol_error(where_, std::to_string(result_.routing.size()) + " routing rows for " +
                                       std::to_string(result_.prompt_tokens) + " prompt and " +
                                       std::to_string(result_.completion_tokens) +
                                       " completion tokens (expected " + std::to_string(expected) +
                                       ")");
    }
  }
  return std::move(result_);
}

}  // namespace mote::sessions
