#include "sessions/engine_client.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "sessions/engine_protocol.h"
#include "sessions/generation_stream.h"
#include "sessions/http_call.h"
#include "sessions/session_error.h"
#include "sessions/sse_parser.h"

namespace mote::sessions {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string where_of(const EngineEndpoint& endpoint) {
  return "the engine at " + endpoint.url;
}

// Sleeps `delay`, waking early (EngineError kCancelled) when `cancel` is raised.
void backoff_sleep(std::chrono::milliseconds delay, const std::atomic<bool>* cancel,
                   const std::string& what) {
  const auto until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (cancel && cancel->load())
      throw EngineError(EngineError::Kind::kCancelled, what + " was cancelled");
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
  }
}

std::string dump_request(const json& body) {
  try {
    return body.dump();
  } catch (const json::type_error&) {
    throw SessionError("a prompt or message sent to the engine is not valid UTF-8");
  }
}

struct Attempt {
  // Prepares a fresh attempt (resets whatever the previous one assembled).
  std::function<void()> start;
  // Whether the caller already handed something of this answer to its user (then no retry).
  std::function<bool()> delivered;
};

// One request with the retry policy of EngineClientOptions. Returns the 2xx reply; throws
// EngineError for everything else.
HttpReply request_with_retries(const EngineEndpoint& endpoint, const EngineClientOptions& options,
                               const std::string& method, const std::string& path,
                               const std::string& body,
                               const std::function<void(std::string_view)>& on_body,
                               const Attempt& attempt, const std::atomic<bool>* cancel) {
  HttpCall call;
  call.method = method;
  call.url = endpoint.url + path;
  call.api_key = endpoint.api_key;
  call.body = body;
  call.connect_timeout = options.connect_timeout;
  call.idle_timeout = options.idle_timeout;
  call.cancel = cancel;
  const std::string what = method + " " + path + " at " + endpoint.url;
  auto delay = options.retry_delay;
  for (int tries = 1;; ++tries) {
    if (attempt.start) attempt.start();
    HttpReply reply = http_call(call, on_body, what);
    const bool may_retry = tries <= options.retries && !(attempt.delivered && attempt.delivered());
    const std::string tried = tries > 1 ? " (tried " + std::to_string(tries) + " times)" : "";
    if (reply.failure != HttpFailure::kNone) {
      const bool connection = reply.failure == HttpFailure::kRefused ||
                              reply.failure == HttpFailure::kLost ||
                              reply.failure == HttpFailure::kConnectTimeout;
      if (connection && options.on_connection_failure) options.on_connection_failure();
      const bool transient =
          reply.failure == HttpFailure::kRefused || reply.failure == HttpFailure::kLost;
      if (transient && may_retry) {
        backoff_sleep(delay, cancel, what);
        delay *= 2;
        continue;
      }
      const std::string message =
          reply.body_started
              ? "lost the connection to the engine at " + endpoint.url + " during " + method + " " +
                    path + ": " + reply.failure_text
              : "cannot reach the engine at " + endpoint.url + ": " + reply.failure_text + tried;
      throw EngineError(EngineError::Kind::kUnreachable, message);
    }
    if (reply.status >= 200 && reply.status < 300) return reply;
    const EngineErrorBody error = parse_error_body(reply.body);
    if (reply.status == 429 && may_retry) {
      // Retry-After is honoured but capped: a client should not hang for minutes on one header.
      auto wait = delay;
      if (reply.retry_after_s >= 0)
        wait = std::max(wait, std::chrono::milliseconds(std::min(reply.retry_after_s, 60L) * 1000));
      backoff_sleep(wait, cancel, what);
      delay *= 2;
      continue;
    }
    // 503 "shutting_down" is final; any other 503 (a proxy, a restarting engine) is transient.
    if (reply.status == 503 && error.code != "shutting_down" && may_retry) {
      backoff_sleep(delay, cancel, what);
      delay *= 2;
      continue;
    }
    throw http_error(where_of(endpoint), reply.status, error, reply.body);
  }
}

json parse_json_reply(const std::string& body, const std::string& where, const std::string& what) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw_protocol_error(where, what + " answered non-JSON: " + body.substr(0, 120));
  return j;
}

std::int64_t random_seed() {
  // Non-negative, so the same number reads the same as a signed or an unsigned seed.
  std::random_device device;
  const std::uint64_t high = device(), low = device();
  return static_cast<std::int64_t>(((high << 32) | low) & 0x7fffffffffffffffULL);
}

}  // namespace

EngineClient::EngineClient(EngineEndpoint endpoint, EngineClientOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
  while (!endpoint_.url.empty() && endpoint_.url.back() == '/') endpoint_.url.pop_back();
}

bool EngineClient::healthy() const {
  try {
    HttpCall call;
    call.method = "GET";
    call.url = endpoint_.url + "/mote/v1/health";
    call.api_key = endpoint_.api_key;
    call.connect_timeout = options_.connect_timeout;
    call.idle_timeout = std::min(options_.idle_timeout, std::chrono::milliseconds(5000));
    const HttpReply reply = http_call(call, {}, "GET /mote/v1/health");
    if (reply.failure != HttpFailure::kNone || reply.status != 200) return false;
    const json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    return j.is_object() && j.value("status", std::string()) == "ok";
  } catch (...) {
    return false;
  }
}

json EngineClient::health() const {
  const HttpReply reply =
      request_with_retries(endpoint_, options_, "GET", "/mote/v1/health", {}, {}, {}, nullptr);
  return parse_json_reply(reply.body, where_of(endpoint_), "GET /mote/v1/health");
}

ModelInfo EngineClient::model() const {
  const HttpReply reply =
      request_with_retries(endpoint_, options_, "GET", "/mote/v1/model", {}, {}, {}, nullptr);
  const std::string where = where_of(endpoint_);
  const nlohmann::json answer = parse_json_reply(reply.body, where, "GET /mote/v1/model");
  return read_wire(where, [&] { return ModelInfo::from_json(answer); });
}

GenerationResult EngineClient::generate(const GenerationRequest& request,
                                        const std::function<void(const TokenEvent&)>& on_token,
                                        const std::atomic<bool>* cancel) const {
  const auto t0 = Clock::now();
  const std::string where = where_of(endpoint_);
  // A seed chosen here (if the caller gave none) makes retries sample the same tokens and lets
  // the result report it even where the engine's stream does not.
  const std::int64_t seed = request.sampling.seed ? *request.sampling.seed : random_seed();
  const std::string body = dump_request(generation_request_json(request, seed));
  const std::string path = request.chat ? "/v1/chat/completions" : "/v1/completions";

  std::unique_ptr<GenerationStream> stream;
  SseParser parser;
  auto handle = [&](const std::string& data) { stream->on_data(data); };
  Attempt attempt;
  attempt.start = [&] {
    stream = std::make_unique<GenerationStream>(request.chat, where, on_token, cancel);
    parser = SseParser();
  };
  attempt.delivered = [&] { return stream && stream->delivered() > 0; };
  request_with_retries(
      endpoint_, options_, "POST", path, body,
      [&](std::string_view bytes) { parser.feed(bytes, handle); }, attempt, cancel);
  parser.finish(handle);
  if (!stream->done()) {
    throw EngineError(EngineError::Kind::kUnreachable, "lost the connection to the engine at " +
                                                           endpoint_.url + " during POST " + path +
                                                           ": the stream ended before [DONE]");
  }
  GenerationResult result = stream->finish(seed);
  result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return result;
}

void EngineClient::scan(const std::vector<ScanPrompt>& prompts, const ScanOptions& options,
                        const ModelGeometry& geometry,
                        const std::function<void(const ScanResult&)>& on_result,
                        const std::atomic<bool>* cancel) const {
  if (prompts.empty()) return;
  const std::string where = where_of(endpoint_);
  const std::string body = dump_request(scan_request_json(prompts, options));
  struct State {
    std::set<std::size_t> seen;
    std::size_t delivered = 0;
    bool started = false, finished = false, done = false;
  } state;
  SseParser parser;
  auto handle = [&](const std::string& data) {
    if (data == "[DONE]") {
      state.done = true;
      return;
    }
    const json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      throw_protocol_error(where, "a scan event is not a JSON object: " + data.substr(0, 120));
    if (j.contains("error")) {
      const EngineErrorBody error = parse_error_json(j);
      throw http_error(where, status_of_stream_error(error), error, data);
    }
    const std::string object = j.value("object", std::string());
    if (object == "mote.scan.start") {
      const ScanStart start = read_wire(where, [&] { return ScanStart::from_json(j); });
      if (start.geometry.moe_layers != geometry.moe_layers ||
          start.geometry.n_experts != geometry.n_experts) {
        throw_protocol_error(
            where, "it serves a model with " + std::to_string(start.geometry.n_moe_layers()) +
                       " MoE layers x " + std::to_string(start.geometry.n_experts) +
                       " experts, the scan expects " + std::to_string(geometry.n_moe_layers()) +
                       " x " + std::to_string(geometry.n_experts));
      }
      state.started = true;
    } else if (object == "mote.scan.result") {
      if (!state.started) throw_protocol_error(where, "a scan result before mote.scan.start");
      const ScanResult result =
          read_wire(where, [&] { return ScanResult::from_json(j, geometry); });
      if (result.index >= prompts.size() || !state.seen.insert(result.index).second)
        throw_protocol_error(where, "a scan result with a repeated or wrong index");
      if (options.weighted && !result.weighted_counts)
        throw_protocol_error(where, "a weighted scan result without weighted_counts");
      // Several results may arrive in one read: stop at the first after a cancel.
      if (cancel && cancel->load())
        throw EngineError(EngineError::Kind::kCancelled,
                          "POST /mote/v1/scan at " + endpoint_.url + " was cancelled");
      ++state.delivered;
      on_result(result);
    } else if (object == "mote.scan.done") {
      if (read_wire(where, [&] { return ScanDone::from_json(j); }).cancelled) {
        throw EngineError(EngineError::Kind::kHttp,
                          where + " stopped during the scan (" + std::to_string(state.seen.size()) +
                              " of " + std::to_string(prompts.size()) + " prompts done)",
                          503, "shutting_down");
      }
      state.finished = true;
    }
  };
  Attempt attempt;
  attempt.start = [&] {
    state = State{};
    parser = SseParser();
  };
  attempt.delivered = [&] { return state.delivered > 0; };
  request_with_retries(
      endpoint_, options_, "POST", "/mote/v1/scan", body,
      [&](std::string_view bytes) { parser.feed(bytes, handle); }, attempt, cancel);
  parser.finish(handle);
  if (!state.done) {
    throw EngineError(EngineError::Kind::kUnreachable,
                      "lost the connection to the engine at " + endpoint_.url +
                          " during POST /mote/v1/scan: the stream ended before [DONE] (" +
                          std::to_string(state.seen.size()) + " of " +
                          std::to_string(prompts.size()) + " prompts done)");
  }
  if (!state.finished || state.seen.size() != prompts.size()) {
    throw_protocol_error(where, "the scan ended with " + std::to_string(state.seen.size()) +
                                    " of " + std::to_string(prompts.size()) + " results");
  }
}

}  // namespace mote::sessions
