#pragma once
// One HTTP request with libcurl (its own easy handle): the transport under EngineClient. It knows
// nothing about the engine's JSON; it reports what happened on the wire so the client can decide
// whether to retry and how to phrase the error.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace mote::sessions {

struct HttpCall {
  std::string method;   // "GET" or "POST"
  std::string url;      // the full URL, path included
  std::string api_key;  // "Authorization: Bearer KEY" when non-empty
  std::string body;     // POST body (application/json)
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{120000};  // no byte for this long = connection lost
  const std::atomic<bool>* cancel = nullptr;
};

// Why a request produced no complete answer (kNone: it did; see status).
enum class HttpFailure {
  kNone,
  kRefused,         // nothing listens there (or the host is unreachable)
  kConnectTimeout,  // no connection within connect_timeout
  kResolve,         // unknown host name
  kLost,            // connection reset or closed before the answer was complete
  kIdle,            // no byte for idle_timeout
  kOther,           // anything else libcurl reports (TLS, malformed HTTP, ...)
};

struct HttpReply {
  long status = 0;          // HTTP status; 0 if no response line arrived
  std::string body;         // the body, unless it went to `on_body`
  long retry_after_s = -1;  // Retry-After in seconds, -1 if absent
  HttpFailure failure = HttpFailure::kNone;
  std::string failure_text;   // plain words: "connection refused", "no data for 120 s", ...
  bool body_started = false;  // whether any body byte reached `on_body`
};

// Performs the request. A 2xx body goes to `on_body` as it arrives (if given; else into
// reply.body), any other body into reply.body (its first 64 KiB). Throws EngineError kCancelled
// (naming `what`) when `cancel` is raised; an exception thrown by `on_body` aborts the transfer and
// is rethrown as is. Transport failures are returned in reply.failure, not thrown.
HttpReply http_call(const HttpCall& call, const std::function<void(std::string_view)>& on_body,
                    const std::string& what);

}  // namespace mote::sessions
