#include "engine/server.h"

#include <csignal>
#include <future>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "engine/error.h"
#include "engine/generation.h"
#include "engine/server_engine_worker.h"
#include "engine/server_generate.h"
#include "engine/server_scan.h"
#include "engine/server_security.h"
#include "engine/server_sse.h"

namespace mote::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

void reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

const char* status_code_name(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "queue_full";
    case 503:
      return "shutting_down";
    default:
      return status >= 500 ? "server_error" : "bad_request";
  }
}

// The log shows what was asked, never headers (the key) or bodies; control bytes are escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200))
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace

struct Server::Impl {
  Impl(std::shared_ptr<ModelBundle> b, ServerOptions o)
      : bundle(std::move(b)),
        options(std::move(o)),
        generator(bundle->model),
        worker(static_cast<size_t>(std::max<int64_t>(1, options.limits.max_queue)),
               static_cast<size_t>(std::max(1, options.parallel))) {}

  std::shared_ptr<ModelBundle> bundle;
  ServerOptions options;
  Generator generator;  // used by the worker thread only
  EngineWorker worker;
  httplib::Server http;
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;
  bool stopped = false;
  std::thread thread;
  int port = -1;

  void routes();
  void post(const std::string& path,
            std::function<void(const httplib::Request&, httplib::Response&)> fn);
  void submit(std::function<void()> job) {
    if (!worker.submit(std::move(job))) {
      if (stopping)
        throw RequestError(503, "server_error", "shutting_down", "the server is shutting down");
      throw RequestError(429, "rate_limit_error", "queue_full",
                         "the engine queue is full (" + std::to_string(options.limits.max_queue) +
                             " requests waiting); retry later");
    }
  }
  void stream(httplib::Response& res, std::shared_ptr<StreamChannel> ch);
  void generate(const httplib::Request& req, httplib::Response& res, bool chat);
};

void Server::Impl::post(const std::string& path,
                        std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  http.Post(path, [this, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      // JSON only: a form or multipart body is a client mistake, not something to guess at.
      const std::string type = req.get_header_value("Content-Type");
      std::string lower;
      for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!lower.empty() && lower.rfind("application/json", 0) != 0)
        throw RequestError(415, "invalid_request_error", "unsupported_media_type",
                           "Content-Type must be application/json");
      fn(req, res);
    } catch (const RequestError& e) {
      if (e.status == 429) res.set_header("Retry-After", "1");
      reply(res, e.status, error_body(e.what(), e.type, e.code));
    } catch (const std::exception& e) {
      reply(
          res, 500,
          error_body(std::string("internal error: ") + e.what(), "server_error", "internal_error"));
    }
  });
}

void Server::Impl::stream(httplib::Response& res, std::shared_ptr<StreamChannel> ch) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // proxies (nginx) must not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [ch](size_t, httplib::DataSink& sink) {
        std::vector<std::string> chunks;
        auto idle = std::chrono::steady_clock::now();
        for (;;) {
          chunks.clear();
          const bool open = ch->pop(chunks, 100ms);
          for (const auto& c : chunks) {
            if (!sink.write(c.data(), c.size())) {  // client gone: cancel its generation
              ch->cancel();
              return false;
            }
          }
          if (!open) {
            sink.done();
            return true;
          }
          // While queued or in a long prefill nothing is written; an SSE comment every few
          // seconds finds clients that went away meanwhile (their writes fail).
          const auto now = std::chrono::steady_clock::now();
          if (!chunks.empty()) {
            idle = now;
          } else if (now - idle > 2s) {
            idle = now;
            static const std::string ping = ": ping\n\n";
            if (!sink.write(ping.data(), ping.size())) {
              ch->cancel();
              return false;
            }
          }
        }
      },
      [ch](bool) { ch->cancel(); });
}

void Server::Impl::generate(const httplib::Request& req, httplib::Response& res, bool chat) {
  const RequestLimits& limits = options.limits;
  auto parsed = chat ? parse_chat_request(req.body, limits, bundle->geometry)
                     : parse_completion_request(req.body, limits, bundle->geometry);
  auto prep =
      std::make_shared<PreparedGeneration>(prepare_generation(*bundle, std::move(parsed), limits));
  if (prep->request.stream) {
    auto ch = std::make_shared<StreamChannel>();
    submit([this, prep, ch] { run_generation_stream(*bundle, generator, *prep, *ch, stopping); });
    stream(res, ch);
    return;
  }
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  submit([this, prep, promise] {
    try {
      promise->set_value(run_generation(*bundle, generator, *prep, stopping));
    } catch (...) {
      promise->set_value({500, error_body("internal error", "server_error", "internal_error")});
    }
  });
  const Reply r = future.get();
  reply(res, r.status, r.body);
}

void Server::Impl::routes() {
  const std::string key = options.api_key.value_or("");
  http.set_pre_routing_handler([key](const httplib::Request& req, httplib::Response& res) {
    if (key.empty() || req.path == "/mote/v1/health")
      return httplib::Server::HandlerResponse::Unhandled;
    if (authorized(req.get_header_value("Authorization"), key))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    reply(res, 401,
          error_body("missing or invalid API key (send Authorization: Bearer KEY)",
                     "authentication_error", "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every error without a body (no route, payload too large, malformed HTTP) gets the JSON form.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = std::string(status_code_name(res.status)) + " (HTTP " +
                              std::to_string(res.status) + ")";
        if (res.status == 404) message = "no route " + req.method + " " + printable(req.path);
        reply(res, res.status,
              error_body(message, res.status >= 500 ? "server_error" : "invalid_request_error",
                         status_code_name(res.status)));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        reply(res, 500, error_body("internal error: " + what, "server_error", "internal_error"));
      });
  if (options.log_requests) {
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::cerr << "mote-engine serve: " << printable(req.method) << " " << printable(req.path)
                << " " << res.status << "\n";
    });
  }

  http.Get("/mote/v1/health", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, 200,
          dump({{"status", stopping ? "stopping" : "ok"},
                {"queued", worker.queued()},
                {"running", worker.running()}}));
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, 200,
          dump({{"object", "list"},
                {"data", json::array({{{"id", bundle->id},
                                       {"object", "model"},
                                       {"created", 0},
                                       {"owned_by", "mote"}}})}}));
  });
  http.Get("/mote/v1/model", [this](const httplib::Request&, httplib::Response& res) {
    json d = bundle->describe();
    const RequestLimits& l = options.limits;
    d["limits"] = {{"max_body_bytes", l.max_body_bytes}, {"max_prompt_tokens", l.max_prompt_tokens},
                   {"max_tokens", l.max_tokens},         {"max_scan_prompts", l.max_scan_prompts},
                   {"max_scan_batch", l.max_scan_batch}, {"max_queue", l.max_queue}};
    reply(res, 200, dump(d));
  });
  post("/v1/chat/completions",
       [this](const httplib::Request& req, httplib::Response& res) { generate(req, res, true); });
  post("/v1/completions",
       [this](const httplib::Request& req, httplib::Response& res) { generate(req, res, false); });
  post("/mote/v1/scan", [this](const httplib::Request& req, httplib::Response& res) {
    auto scan = std::make_shared<PreparedScan>(prepare_scan(
        *bundle, parse_scan_request(req.body, options.limits, bundle->geometry), options.limits));
    auto ch = std::make_shared<StreamChannel>();
    submit([this, scan, ch] { run_scan_stream(*bundle, generator, *scan, *ch, stopping); });
    stream(res, ch);
  });
}

Server::Server(std::shared_ptr<ModelBundle> model, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {
  // A client that hangs up mid-response must not kill the process (cpp-httplib sends without
  // MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  const int threads = std::max(2, impl_->options.http_threads);
  impl_->http.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  impl_->http.set_payload_max_length(impl_->options.limits.max_body_bytes);
  impl_->http.set_keep_alive_max_count(100);
  // Headers and body (and every SSE chunk) go out in separate writes; without TCP_NODELAY each
  // small reply waits on the client's delayed ACK (~40 ms).
  impl_->http.set_tcp_nodelay(true);
  impl_->routes();
}

Server::~Server() {
  stop();
}

int Server::bind() {
  check_bind_policy(impl_->options.host, impl_->options.api_key);
  const auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
  } else {
    impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (impl_->port < 0) throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port));
  return impl_->port;
}

void Server::listen() {
  impl_->http.listen_after_bind();
}

int Server::start() {
  const int p = bind();
  impl_->thread = std::thread([this] { listen(); });
  for (int i = 0; i < 5000 && !impl_->http.is_running(); ++i) std::this_thread::sleep_for(1ms);
  return p;
}

void Server::stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;     // running generations cancel at their next token
  impl_->worker.shutdown();   // new requests: 503; queued ones answer 503 without engine work
  impl_->worker.wait_idle();  // every reply is complete (streams closed)
  impl_->http.stop();         // waits for the HTTP threads to finish writing
  if (impl_->thread.joinable()) impl_->thread.join();
}

int Server::port() const {
  return impl_->port;
}

}  // namespace mote::server
