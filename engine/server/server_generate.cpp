#include "engine/server/server_generate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <random>

#include "engine/error.h"
#include "engine/server/server_capture.h"
#include "engine/server/server_engine_worker.h"
#include "engine/server/server_stop.h"
#include "engine/tokenizer/tokenizer_streaming_decoder.h"

namespace mote::server {
namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& message, const std::string& code = "invalid_value") {
  throw invalid_request(message, code);
}

// What one generated token adds to the reply.
struct TokenOut {
  std::string text;
  json routing;        // rows, when capturing
  json prompt_counts;  // first token only, when capturing
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
  GenerationResult r = g.generate(req, [&](const GenerationEvent& ev) {
    tokens.push_back(ev.token);
    s.completion_tokens = ev.index + 1;
    TokenOut out;
    if (std::find(eos.begin(), eos.end(), ev.token) == eos.end())
      out.text = stop.push(decoder.push(ev.token));
    if (ev.routing) {
      out.routing = routing_rows_json(
          routing_rows(*ev.routing, ev.routing_position, n_prompt, tokens, mode, before));
      if (ev.index == 0)
        out.prompt_counts = activation_map_to_json(
            activation_map_of(ev.routing->activation_counts(b.geometry.n_experts, 0, n_prompt)));
    }
    s.text += out.text;
    if (!emit(std::move(out))) {
      client_gone = true;
      return false;
    }
    EngineWorker::yield_turn();  // let a concurrent request run its next forward call
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

json usage_json(const PreparedGeneration& p, int64_t completion) {
  const auto prompt = static_cast<int64_t>(p.engine.prompt.size());
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

json mote_header(const ModelBundle& b, const PreparedGeneration& p) {
  return {{"moe_layers", b.geometry.moe_layers},
          {"top_k", b.geometry.top_k},
          {"n_experts", b.geometry.n_experts},
          {"capture", capture_mode_name(p.request.mote.capture)},
          {"tuning", p.request.mote.tuning.to_json()},
          {"seed", p.engine.sampling.seed}};
}

json chunk_base(const ModelBundle& b, const PreparedGeneration& p) {
  return {{"id", p.id},
          {"object", p.request.chat ? "chat.completion.chunk" : "text_completion"},
          {"created", p.created},
          {"model", b.id}};
}

json choice_delta(const PreparedGeneration& p, const std::string& text, const json& finish) {
  if (p.request.chat)
    return {{"index", 0},
            {"delta", {{"content", text}}},
            {"logprobs", nullptr},
            {"finish_reason", finish}};
  return {{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}};
}

}  // namespace

PreparedGeneration prepare_generation(const ModelBundle& b, GenerateRequest request,
                                      const RequestLimits& limits) {
  PreparedGeneration p;
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
    json rows = json::array(), counts;
    std::string tail;
    const RunSummary s = execute(
        b, g, p, stopping,
        [&](TokenOut&& t) {
          for (auto& r : t.routing) rows.push_back(std::move(r));
          if (!t.prompt_counts.is_null()) counts = std::move(t.prompt_counts);
          return true;
        },
        tail);
    if (s.finish_reason == "cancelled" && stopping) return error_reply(shutting_down());
    json choice = p.request.chat ? json{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", s.text}}},
                                        {"logprobs", nullptr},
                                        {"finish_reason", s.finish_reason}}
                                 : json{{"index", 0},
                                        {"text", s.text},
                                        {"logprobs", nullptr},
                                        {"finish_reason", s.finish_reason}};
    json body = {{"id", p.id},
                 {"object", p.request.chat ? "chat.completion" : "text_completion"},
                 {"created", p.created},
                 {"model", b.id},
                 {"choices", json::array({choice})},
                 {"usage", usage_json(p, s.completion_tokens)}};
    if (p.request.mote.present) {
      json m = mote_header(b, p);
      if (p.request.mote.capture != CaptureMode::None) {
        m["routing"] = std::move(rows);
        m["prompt_counts"] = std::move(counts);
      }
      body["mote"] = std::move(m);
    }
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
      json first = chunk_base(b, p);
      first["choices"] = json::array({{{"index", 0},
                                       {"delta", {{"role", "assistant"}, {"content", ""}}},
                                       {"logprobs", nullptr},
                                       {"finish_reason", nullptr}}});
      if (p.request.mote.present) first["mote"] = mote_header(b, p);
      if (!ch.push(sse_event(first))) {
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
          if (!capture && t.text.empty()) return !ch.cancelled();
          json chunk = chunk_base(b, p);
          chunk["choices"] = json::array({choice_delta(p, t.text, nullptr)});
          if (capture) {
            json m = {{"routing", std::move(t.routing)}};
            if (first_token && !p.request.chat) m.update(mote_header(b, p));
            if (!t.prompt_counts.is_null()) m["prompt_counts"] = std::move(t.prompt_counts);
            chunk["mote"] = std::move(m);
          }
          first_token = false;
          return ch.push(sse_event(chunk));
        },
        tail);
    if (ch.cancelled()) {
      ch.close();
      return;
    }
    json last = chunk_base(b, p);
    last["choices"] = json::array({choice_delta(p, tail, s.finish_reason)});
    if (p.request.chat)
      last["choices"][0]["delta"] = tail.empty() ? json::object() : json{{"content", tail}};
    last["usage"] = usage_json(p, s.completion_tokens);
    ch.push(sse_event(last));
    if (p.request.include_usage) {
      json usage = chunk_base(b, p);
      usage["choices"] = json::array();
      usage["usage"] = usage_json(p, s.completion_tokens);
      ch.push(sse_event(usage));
    }
    ch.push(kSseDone);
    ch.close();
  } catch (const std::exception& e) {
    fail(e);
  }
}

}  // namespace mote::server
