#pragma once
// Assembles a GenerationResult from the SSE events of one streamed /v1/chat/completions or
// /v1/completions answer (the protocol's CompletionChunks, protocol/wire_completion.h), handing
// each token to the caller as it arrives.
#include <atomic>
#include <functional>
#include <string>

#include "protocol/wire_completion.h"
#include "sessions/engine_types.h"

namespace mote::sessions {

class GenerationStream {
 public:
  // `where` prefixes error messages ("the engine at URL"); `on_token` may be empty. A raised
  // `cancel` stops delivery before the next token (EngineError kCancelled), even when several
  // tokens arrived in one read.
  GenerationStream(bool chat, std::string where,
                   const std::function<void(const TokenEvent&)>& on_token,
                   const std::atomic<bool>* cancel);

  // One event's data (a JSON chunk or "[DONE]"). An {"error": ...} event throws kHttp, a
  // malformed one kProtocol; exceptions of on_token propagate.
  void on_data(const std::string& data);

  bool done() const { return done_; }           // "[DONE]" arrived
  int delivered() const { return delivered_; }  // events handed to on_token
  // The result once done(); checks that the stream was complete and consistent (finish_reason,
  // one routing row per processed token). `sent_seed` is used if the engine reported none.
  GenerationResult finish(std::int64_t sent_seed);

 private:
  void read_mote(MoteReply&& mote, std::vector<RoutingRow>& rows);
  void emit(TokenEvent&& event);

  bool chat_;
  std::string where_;
  const std::function<void(const TokenEvent&)>& on_token_;
  const std::atomic<bool>* cancel_;
  GenerationResult result_;
  ModelGeometry geometry_;  // from the "mote" header
  bool has_header_ = false;
  bool has_usage_ = false;
  bool done_ = false;
  int tokens_ = 0;
  int delivered_ = 0;
};

}  // namespace mote::sessions
