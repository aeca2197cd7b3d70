#include "engine/server/server_generate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <random>

#include "engine/error.h"
#include "engine/server/server_capture.h"
#include "engine/server/server_errors.h"
#include "engine/server/server_json.h"
#include "engine/server/server_logprobs.h"
#include "engine/server/server_stop.h"
#include "engine/tokenizer/tokenizer_streaming_decoder.h"
#include "protocol/wire_completion.h"

namespace mote::server {
namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& message, const std::string& code = "invalid_value") {
  throw invalid_request(message, code);
}

// What one generated token adds to the reply.
struct TokenOut {
  std::string text;
  std::vector<RoutingRow> routing;             // rows, when capturing
  std::optional<ActivationMap> prompt_counts;  // first token only, when capturing
  std::vector<TokenLogprob> logprobs;          // when asked: an echoed prompt's, then the token's
};

struct RunSummary {
  std::string text;
  std::string finish_reason;
  int64_t completion_tokens = 0;
};

// Runs the generation, calling emit() per token (return false: client gone). Shared by the
// streamed and the plain reply so both produce the same tokens, text and routing.
RunSummary execute(const ModelBundle& b, Generator& g, const PreparedGeneration& p,
                   const std::atomic<bool>& stopping, const std::function<bool(TokenOut&&)>& emit,
                   std::string& tail) {
  const GenerationRequest& req = p.engine;
  const int64_t n_prompt = static_cast<int64_t>(req.prompt.size());
  const CaptureMode mode = p.request.mote.capture;
  const bool before = req.tuning != nullptr;
  StreamingDecoder decoder(b.tokenizer, /*skip_special_tokens=*/true);
  StopMatcher stop(p.request.stop);
  std::vector<int64_t> tokens = req.prompt;
  RunSummary s;
  bool client_gone = false;
  const auto& eos = b.defaults.eos_token_ids;
  const GenerateRequest& request = p.request;
  std::optional<LogprobWriter> logprobs;
  if (request.logprobs) logprobs.emplace(*b.tokenizer, *request.logprobs, !request.chat);
  // An echo puts the prompt (text and logprobs) before the first token's.
  const std::string echo_text =
      !request.echo        ? std::string()
      : request.prompt_ids ? b.tokenizer->decode(*request.prompt_ids, /*skip_special_tokens=*/false)
                           : request.prompt;
  auto echo_into = [&](TokenOut& out, const at::Tensor& prompt_logits) {
    out.text = echo_text + out.text;
    if (logprobs) out.logprobs = logprobs->prompt(req.prompt, prompt_logits);
  };
  if (req.max_tokens == 0) {  // scoring only (echo with max_tokens 0)
    TokenOut out;
    echo_into(out, logprobs ? g.score(req.prompt, req.tuning.get()) : at::Tensor());
    s.text = out.text;
    s.finish_reason = "length";
    emit(std::move(out));
    return s;
  }
  GenerationResult r = g.generate(req, [&](const GenerationEvent& ev) {
    tokens.push_back(ev.token);
    s.completion_tokens = ev.index + 1;
    TokenOut out;
    const bool is_eos = std::find(eos.begin(), eos.end(), ev.token) != eos.end();
    if (!is_eos) out.text = stop.push(decoder.push(ev.token));
    if (ev.index == 0 && request.echo) echo_into(out, ev.prompt_logits);
    // The EOS token ends the reply without text of its own: no logprob either.
    if (logprobs && !is_eos) out.logprobs.push_back(logprobs->next(ev.logits, ev.token));
    if (ev.routing) {
      out.routing = routing_rows(*ev.routing, ev.routing_position, n_prompt, tokens, mode, before);
      if (ev.index == 0)
        out.prompt_counts =
            activation_map_of(ev.routing->activation_counts(b.geometry.n_experts, 0, n_prompt));
    }
    s.text += out.text;
    if (!emit(std::move(out))) {
      client_gone = true;
      return false;
    }
    return !stop.matched() && !stopping.load();
  });
  if (stop.matched() || r.finish_reason == "stop")
    s.finish_reason = "stop";
  else if (client_gone || r.finish_reason == "cancelled")
    s.finish_reason = "cancelled";
  else
    s.finish_reason = r.finish_reason;
  if (!stop.matched()) {
    tail = stop.push(decoder.finish());
    tail += stop.finish();
    if (stop.matched()) s.finish_reason = "stop";
    s.text += tail;
  }
  return s;
}

Usage usage_of(const PreparedGeneration& p, int64_t completion) {
  return {static_cast<int64_t>(p.engine.prompt.size()), completion};
}

MoteHeader mote_header(const ModelBundle& b, const PreparedGeneration& p) {
  return {b.geometry, p.request.mote.capture, p.request.mote.tuning, p.engine.sampling.seed};
}

CompletionChunk chunk_base(const ModelBundle&, const PreparedGeneration& p) {
  CompletionChunk c;
  c.chat = p.request.chat;
  c.id = p.id;
  c.created = p.created;
  c.model = p.model;
  return c;
}

}  // namespace

PreparedGeneration prepare_generation(const ModelBundle& b, GenerateRequest request,
                                      const RequestLimits& limits, std::string model) {
  PreparedGeneration p;
  p.model = std::move(model);
  const ModelConfig& c = b.model->config();
  std::vector<int64_t> ids;
  try {
    if (request.chat) {
      if (!b.chat_template)
        invalid("this model has no chat template; use /v1/completions", "no_chat_template");
      ids = b.tokenizer->encode(
          b.chat_template->render(request.messages, /*add_generation_prompt=*/true));
    } else if (request.prompt_ids) {
      ids = *request.prompt_ids;
      for (int64_t id : ids)
        if (id >= c.vocab_size)
          invalid("prompt token id " + std::to_string(id) + " is outside the vocabulary");
    } else {
      ids = b.tokenizer->encode(request.prompt);
    }
  } catch (const UsageError& e) {
    invalid(e.what());
  } catch (const TokenizerError& e) {
    invalid(e.what());
  }
  if (ids.empty()) invalid("the prompt is empty");
  const auto n = static_cast<int64_t>(ids.size());
  if (n > limits.max_prompt_tokens)
    invalid("the prompt has " + std::to_string(n) + " tokens, more than the limit of " +
                std::to_string(limits.max_prompt_tokens),
            "context_length_exceeded");
  const int64_t room = c.max_position_embeddings - n;
  if (room < 1) invalid("the prompt fills the model's context", "context_length_exceeded");
  const int64_t max_tokens = request.max_tokens.value_or(std::min(limits.max_tokens, room));
  if (max_tokens > room)
    invalid("prompt (" + std::to_string(n) + ") + max_tokens (" + std::to_string(max_tokens) +
                ") exceeds the context of " + std::to_string(c.max_position_embeddings) + " tokens",
            "context_length_exceeded");

  GenerationRequest& e = p.engine;
  e.prompt = std::move(ids);
  e.max_tokens = max_tokens;
  e.sampling.temperature = request.sampling.temperature.value_or(b.defaults.temperature);
  e.sampling.top_p = request.sampling.top_p.value_or(b.defaults.top_p);
  e.sampling.top_k = request.sampling.top_k.value_or(b.defaults.top_k);
  e.sampling.seed = request.sampling.seed ? *request.sampling.seed : std::random_device{}();
  e.stop_token_ids = b.defaults.eos_token_ids;
  e.capture = request.mote.capture;
  e.prompt_logits = request.echo && request.logprobs;
  e.tuning = CompiledTuning::shared(request.mote.tuning, c);  // validated by the parser
  static std::atomic<uint64_t> counter{0};
  p.id = std::string(request.chat ? "chatcmpl-" : "cmpl-") + std::to_string(++counter) + "-" +
         std::to_string(std::random_device{}());
  p.created = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  p.request = std::move(request);
  return p;
}

Reply error_reply(const std::exception& e) {
  const RequestError error = as_request_error(e);
  return {error.status, error_body(error)};
}

Reply run_generation(const ModelBundle& b, Generator& g, const PreparedGeneration& p,
                     const std::atomic<bool>& stopping) {
  if (stopping) return error_reply(shutting_down());
  try {
    std::vector<RoutingRow> rows;
    std::optional<ActivationMap> counts;
    Logprobs logprobs;
    std::string tail;
    const RunSummary s = execute(
        b, g, p, stopping,
        [&](TokenOut&& t) {
          for (auto& l : t.logprobs) logprobs.tokens.push_back(std::move(l));
          for (auto& r : t.routing) rows.push_back(std::move(r));
          if (t.prompt_counts) counts = std::move(t.prompt_counts);
          return true;
        },
        tail);
    if (s.finish_reason == "cancelled" && stopping) return error_reply(shutting_down());
    CompletionReply reply;
    reply.chat = p.request.chat;
    reply.id = p.id;
    reply.created = p.created;
    reply.model = p.model;
    reply.text = s.text;
    reply.finish_reason = s.finish_reason;
    if (p.request.logprobs) reply.logprobs = std::move(logprobs);
    reply.usage = usage_of(p, s.completion_tokens);
    if (p.request.mote.present) {
      MoteReply m;
      m.header = mote_header(b, p);
      if (p.request.mote.capture != CaptureMode::None) {
        m.routing = std::move(rows);
        m.prompt_counts = std::move(counts);
      }
      reply.mote = std::move(m);
    }
    const json body = reply.to_json();
    return {200, dump(body)};
  } catch (const std::exception& e) {
    return error_reply(e);
  }
}

void run_generation_stream(const ModelBundle& b, Generator& g, const PreparedGeneration& p,
                           StreamChannel& ch, const std::atomic<bool>& stopping) {
  auto fail = [&](const std::exception& e) {
    const Reply r = error_reply(e);
    ch.push("data: " + r.body + "\n\n");
    ch.push(kSseDone);
    ch.close();
  };
  if (stopping) {
    fail(shutting_down());
    return;
  }
  try {
    const bool capture = p.request.mote.capture != CaptureMode::None;
    if (p.request.chat) {  // OpenAI's first chunk announces the role
      CompletionChunk first = chunk_base(b, p);
      first.choice = CompletionChunk::Choice{true, "", std::nullopt};
      if (p.request.mote.present) first.mote = MoteReply{mote_header(b, p), {}, {}};
      if (!ch.push(sse_event(first.to_json()))) {
        ch.close();
        return;
      }
    }
    bool first_token = true;
    std::string tail;
    const RunSummary s = execute(
        b, g, p, stopping,
        [&](TokenOut&& t) {
          // Without capture a token that completes no text (UTF-8 held back) sends nothing.
          // With logprobs every token sends its entry, text or not.
          if (!capture && !p.request.logprobs && t.text.empty()) return !ch.cancelled();
          CompletionChunk chunk = chunk_base(b, p);
          chunk.choice = CompletionChunk::Choice{false, std::move(t.text), std::nullopt};
          if (p.request.logprobs) chunk.choice->logprobs = Logprobs{std::move(t.logprobs)};
          if (capture) {
            MoteReply m;
            if (first_token && !p.request.chat) m.header = mote_header(b, p);
            m.routing = std::move(t.routing);
            m.prompt_counts = std::move(t.prompt_counts);
            chunk.mote = std::move(m);
          }
          first_token = false;
          return ch.push(sse_event(chunk.to_json()));
        },
        tail);
    if (ch.cancelled()) {
      ch.close();
      return;
    }
    CompletionChunk last = chunk_base(b, p);
    last.choice = CompletionChunk::Choice{false, tail, s.finish_reason};
    last.usage = usage_of(p, s.completion_tokens);
    ch.push(sse_event(last.to_json()));
    if (p.request.include_usage) {
      CompletionChunk usage = chunk_base(b, p);
      usage.usage = usage_of(p, s.completion_tokens);
      ch.push(sse_event(usage.to_json()));
    }
    ch.push(kSseDone);
    ch.close();
  } catch (const std::exception& e) {
    fail(e);
  }
}

}  // namespace mote::server
