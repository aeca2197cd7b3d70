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

void GenerationStream::read_mote(MoteReply&& mote, std::vector<RoutingRow>& rows) {
  // The header: the first chat chunk, or the first token chunk of a completion.
  if (mote.header) {
    geometry_ = mote.header->geometry;
    // The engine's seeds are unsigned 64-bit; ours are the same bits, signed.
    result_.seed = static_cast<std::int64_t>(mote.header->seed);
    has_header_ = true;
  }
  if (mote.routing)
    for (RoutingRow& r : *mote.routing) rows.push_back(std::move(r));
  if (mote.prompt_counts) result_.prompt_counts = std::move(*mote.prompt_counts);
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
  CompletionChunk chunk = read_wire(where_, [&] {
    return CompletionChunk::from_json(j, chat_, has_header_ ? &geometry_ : nullptr);
  });
  std::vector<RoutingRow> rows;
  if (chunk.mote) read_mote(std::move(*chunk.mote), rows);
  if (chunk.usage) {
    result_.prompt_tokens = static_cast<int>(chunk.usage->prompt_tokens);
    result_.completion_tokens = static_cast<int>(chunk.usage->completion_tokens);
    has_usage_ = true;
  }
  if (!chunk.choice) {
    if (!rows.empty()) throw_protocol_error(where_, "routing rows in a chunk without a token");
    return;  // the usage chunk
  }
  CompletionChunk::Choice& choice = *chunk.choice;
  if (choice.finish_reason) {
    // The last chunk: what the engine held back until the end, no new token.
    result_.finish_reason = *choice.finish_reason;
    if (!rows.empty()) throw_protocol_error(where_, "routing rows in the final chunk");
    if (!choice.text.empty()) {
      TokenEvent event;
      event.index = -1;
      event.text = std::move(choice.text);
      event.flush = true;
      emit(std::move(event));
    }
    return;
  }
  if (choice.announces_role) {  // OpenAI's first chat chunk: the role, no token
    if (!rows.empty() || !choice.text.empty())
      throw_protocol_error(where_, "the role chunk carries a token");
    return;
  }
  TokenEvent event;
  event.index = tokens_++;
  event.text = std::move(choice.text);
  event.rows = std::move(rows);
  emit(std::move(event));
}

GenerationResult GenerationStream::finish(std::int64_t sent_seed) {
  if (result_.finish_reason.empty())
    throw_protocol_error(where_, "the stream ended without a finish_reason");
  if (!has_usage_) result_.completion_tokens = tokens_;
  if (!has_header_) result_.seed = sent_seed;
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
