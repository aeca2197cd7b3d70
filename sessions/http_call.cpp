#include "sessions/http_call.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>

#include "sessions/engine_types.h"

namespace mote::sessions {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxErrorBody = 64 * 1024;

void init_curl_once() {
  // curl_global_init is not thread-safe on every libcurl build; do it exactly once.
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw EngineError(EngineError::Kind::kUnreachable,
                      std::string("cannot initialise libcurl: ") + curl_easy_strerror(result));
  }
}

std::string seconds_text(std::chrono::milliseconds ms) {
  const auto count = ms.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  return std::to_string(count) + " ms";
}

// Loopback must never go through a proxy from the environment (http_proxy is common on lab
// machines and would swallow every local-engine request); other hosts keep the user's no_proxy.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    if (const char* value = std::getenv(name); value && *value) {
      list += ",";
      list += value;
      break;
    }
  }
  return list;
}

struct Transfer {
  const HttpCall* call = nullptr;
  const std::function<void(std::string_view)>* on_body = nullptr;
  CURL* curl = nullptr;
  HttpReply reply;
  std::exception_ptr error;
  bool cancelled = false;
  bool idle = false;
  Clock::time_point last_activity = Clock::now();

  bool cancel_raised() const { return call->cancel && call->cancel->load(); }
};

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  t->last_activity = Clock::now();
  if (starts_with_ci(line, "HTTP/")) {
    t->reply.retry_after_s = -1;  // a new response (after "100 Continue")
  } else if (starts_with_ci(line, "retry-after:")) {
    // Only the delta-seconds form; an HTTP date is rare and the backoff covers it.
    const std::string value(line.substr(12));
    char* end = nullptr;
    const long seconds = std::strtol(value.c_str(), &end, 10);
    if (end != value.c_str() && seconds >= 0) t->reply.retry_after_s = seconds;
  }
  return size * count;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->last_activity = Clock::now();
  if (t->cancel_raised()) {
    t->cancelled = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  const bool success = status >= 200 && status < 300;
  if (success && t->on_body && *t->on_body) {
    t->reply.body_started = true;
    try {
      (*t->on_body)(std::string_view(data, n));
    } catch (...) {
      t->error = std::current_exception();
      return 0;
    }
  } else if (success) {
    t->reply.body.append(data, n);
  } else if (t->reply.body.size() < kMaxErrorBody) {
    t->reply.body.append(data, std::min(n, kMaxErrorBody - t->reply.body.size()));
  }
  return n;
}

// libcurl calls this at least once a second even while no data flows: the place for the cancel
// flag (while the request waits in the engine's queue) and the idle timeout.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel_raised()) {
    t->cancelled = true;
    return 1;
  }
  if (Clock::now() - t->last_activity > t->call->idle_timeout) {
    t->idle = true;
    return 1;
  }
  return 0;
}

std::string os_error_text(long os_errno, const std::string& fallback) {
  switch (os_errno) {
    case ECONNREFUSED:
      return "connection refused";
    case ECONNRESET:
      return "connection reset";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    case EPIPE:
      return "connection closed";
    default:
      return fallback;
  }
}

void classify_failure(Transfer& t, CURLcode rc, const char* error_buffer) {
  HttpReply& r = t.reply;
  const std::string detail = *error_buffer ? error_buffer : curl_easy_strerror(rc);
  long os_errno = 0;
  curl_easy_getinfo(t.curl, CURLINFO_OS_ERRNO, &os_errno);
  if (t.idle) {
    r.failure = HttpFailure::kIdle;
    r.failure_text = "no data for " + seconds_text(t.call->idle_timeout) + " (connection lost?)";
    return;
  }
  switch (rc) {
    case CURLE_OK:
      r.failure = HttpFailure::kNone;
      return;
    case CURLE_COULDNT_CONNECT:
      r.failure = HttpFailure::kRefused;
      r.failure_text = os_error_text(os_errno, "cannot connect (" + detail + ")");
      return;
    case CURLE_OPERATION_TIMEDOUT:
      r.failure = HttpFailure::kConnectTimeout;
      r.failure_text = "no connection within " + seconds_text(t.call->connect_timeout);
      return;
    case CURLE_COULDNT_RESOLVE_HOST:
      r.failure = HttpFailure::kResolve;
      r.failure_text = "unknown host (" + detail + ")";
      return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      r.failure = HttpFailure::kLost;
      r.failure_text = os_error_text(os_errno, "connection lost (" + detail + ")");
      if (r.failure_text == "connection refused") r.failure_text = "connection lost";
      return;
    default:
      r.failure = HttpFailure::kOther;
      r.failure_text = detail;
      return;
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpReply http_call(const HttpCall& call, const std::function<void(std::string_view)>& on_body,
                    const std::string& what) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw EngineError(EngineError::Kind::kUnreachable, what + ": curl_easy_init failed");
  Transfer t;
  t.call = &call;
  t.on_body = &on_body;
  t.curl = curl.get();

  curl_slist* raw_headers = nullptr;
  const std::string auth = "Authorization: Bearer " + call.api_key;
  if (!call.api_key.empty()) raw_headers = curl_slist_append(raw_headers, auth.c_str());
  if (call.method == "POST") {
    raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
    // libcurl would wait for "100 Continue" before sending a large body; the engine does not
    // need the handshake.
    raw_headers = curl_slist_append(raw_headers, "Expect:");
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
  const std::string no_proxy = no_proxy_list();
  char error_buffer[CURL_ERROR_SIZE] = {0};

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we run in threads
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (call.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);

  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.reply.status);
  if (t.error) std::rethrow_exception(t.error);
  if (t.cancelled || (rc != CURLE_OK && t.cancel_raised())) {
    throw EngineError(EngineError::Kind::kCancelled, what + " was cancelled");
  }
  classify_failure(t, rc, error_buffer);
  return std::move(t.reply);
}

}  // namespace mote::sessions
