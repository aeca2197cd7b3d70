#include "engine/server/server.h"

#include <csignal>
#include <future>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "engine/error.h"
#include "engine/model/batch_scheduler.h"
#include "engine/model/generation.h"
#include "engine/server/server_edge.h"
#include "engine/server/server_engine_worker.h"
#include "engine/server/server_errors.h"
#include "engine/server/server_generate.h"
#include "engine/server/server_json.h"
#include "engine/server/server_scan.h"
#include "engine/server/server_security.h"
#include "engine/server/server_sse.h"
#include "engine/server/server_tunings.h"

namespace mote::server {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct Server::Impl {
  Impl(std::shared_ptr<ModelBundle> b, ServerOptions o)
      : bundle(std::move(b)),
        options(std::move(o)),
        scheduler(bundle->model, std::max(1, options.max_batch)),
        generator(bundle->model, &scheduler),
        worker(static_cast<size_t>(std::max<int64_t>(1, options.limits.max_queue)),
               static_cast<size_t>(std::max(1, options.max_batch))) {
    for (const auto& [name, tuning] : options.tunings) tunings.add(name, tuning, bundle->geometry);
  }

  std::shared_ptr<ModelBundle> bundle;
  ServerOptions options;
  BatchScheduler scheduler;  // every forward step of every request goes through it
  Generator generator;       // stateless between calls: shared by the worker threads
  EngineWorker worker;
  NamedTunings tunings;  // served as model ids "ID:NAME"
  httplib::Server http;
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;
  bool stopped = false;
  std::thread thread;
  int port = -1;

  void routes();
  void submit(std::function<void()> job) {
    if (!worker.submit(std::move(job)))
      throw stopping ? shutting_down() : queue_full(options.limits.max_queue);
  }
  void stream(httplib::Response& res, std::shared_ptr<StreamChannel> ch);
  // The routes' handlers.
  void health(httplib::Response& res);
  void models(httplib::Response& res);
  void model(httplib::Response& res);
  void generate(const httplib::Request& req, httplib::Response& res, bool chat);
  void scan(const httplib::Request& req, httplib::Response& res);
  void add_tuning(const httplib::Request& req, httplib::Response& res);
  void list_tunings(httplib::Response& res);
  void tokenize(const httplib::Request& req, httplib::Response& res);
  void detokenize(const httplib::Request& req, httplib::Response& res);
  // A "model" field of a request that generates nothing: empty, the served id or "ID:NAME".
  void check_model(const std::string& model) const {
    GenerateRequest probe;
    probe.model = model;
    tunings.resolve(probe, bundle->id);
  }
};

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
  std::string model = tunings.resolve(parsed, bundle->id);
  auto prep = std::make_shared<PreparedGeneration>(
      prepare_generation(*bundle, std::move(parsed), limits, std::move(model)));
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
      promise->set_value({500, error_body(internal_error("generation failed"))});
    }
  });
  const Reply r = future.get();
  reply(res, r.status, r.body);
}

void Server::Impl::health(httplib::Response& res) {
  const BatchScheduler::Stats batching = scheduler.stats();
  reply(res, 200,
        dump({{"status", stopping ? "stopping" : "ok"},
              {"queued", worker.queued()},
              {"running", worker.running()},
              {"max_batch", scheduler.max_batch()},
              {"forwards", batching.forwards},
              {"largest_batch", batching.largest}}));
}

void Server::Impl::models(httplib::Response& res) {
  json data = json::array(
      {{{"id", bundle->id}, {"object", "model"}, {"created", 0}, {"owned_by", "mote"}}});
  for (const auto& [name, tuning] : tunings.all())
    data.push_back({{"id", bundle->id + ":" + name},
                    {"object", "model"},
                    {"created", 0},
                    {"owned_by", "mote"},
                    {"root", bundle->id},
                    {"mote", {{"tuning", tuning.to_json()}}}});
  reply(res, 200, dump({{"object", "list"}, {"data", std::move(data)}}));
}

void Server::Impl::add_tuning(const httplib::Request& req, httplib::Response& res) {
  const TuningRegistration r =
      parse_tuning_registration(req.body, options.limits, bundle->geometry);
  tunings.add(r.name, r.tuning, bundle->geometry);
  reply(res, 200, dump({{"id", bundle->id + ":" + r.name}, {"tuning", r.tuning.to_json()}}));
}

void Server::Impl::list_tunings(httplib::Response& res) {
  json data = json::array();
  for (const auto& [name, tuning] : tunings.all())
    data.push_back({{"id", bundle->id + ":" + name}, {"name", name}, {"tuning", tuning.to_json()}});
  reply(res, 200, dump({{"object", "list"}, {"data", std::move(data)}}));
}

void Server::Impl::tokenize(const httplib::Request& req, httplib::Response& res) {
  const TokenizeRequest r = parse_tokenize_request(req.body, options.limits);
  check_model(r.model);
  std::vector<int64_t> ids;
  try {
    if (r.prompt) {
      ids = bundle->tokenizer->encode(*r.prompt);
    } else {
      if (!bundle->chat_template)
        throw invalid_request("this model has no chat template; tokenize a prompt",
                              "no_chat_template");
      ids = bundle->tokenizer->encode(
          bundle->chat_template->render(r.messages, r.add_generation_prompt));
    }
  } catch (const UsageError& e) {
    throw invalid_request(e.what());
  } catch (const TokenizerError& e) {
    throw invalid_request(e.what());
  }
  reply(res, 200,
        dump({{"count", ids.size()},
              {"max_model_len", bundle->model->config().max_position_embeddings},
              {"tokens", ids}}));
}

void Server::Impl::detokenize(const httplib::Request& req, httplib::Response& res) {
  const DetokenizeRequest r = parse_detokenize_request(req.body, options.limits);
  check_model(r.model);
  for (int64_t id : r.tokens)
    if (id >= bundle->model->config().vocab_size)
      throw invalid_request("token id " + std::to_string(id) + " is outside the vocabulary");
  reply(res, 200, dump({{"prompt", bundle->tokenizer->decode(r.tokens)}}));
}

void Server::Impl::model(httplib::Response& res) {
  ModelInfo info = bundle->describe();
  const RequestLimits& l = options.limits;
  info.limits = {{"max_body_bytes", l.max_body_bytes}, {"max_prompt_tokens", l.max_prompt_tokens},
                 {"max_tokens", l.max_tokens},         {"max_scan_prompts", l.max_scan_prompts},
                 {"max_scan_batch", l.max_scan_batch}, {"max_queue", l.max_queue}};
  reply(res, 200, dump(info.to_json()));
}

void Server::Impl::scan(const httplib::Request& req, httplib::Response& res) {
  auto prepared = std::make_shared<PreparedScan>(prepare_scan(
      *bundle, parse_scan_request(req.body, options.limits, bundle->geometry), options.limits));
  auto ch = std::make_shared<StreamChannel>();
  submit([this, prepared, ch] { run_scan_stream(*bundle, generator, *prepared, *ch, stopping); });
  stream(res, ch);
}

// The API (docs/server-api.md), behind the edge of server_edge.h.
void Server::Impl::routes() {
  install_edge(http, options.api_key.value_or(""), options.log_requests);
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http.Get("/mote/v1/health", [this](Req, Res res) { health(res); });
  http.Get("/v1/models", [this](Req, Res res) { models(res); });
  http.Get("/mote/v1/model", [this](Req, Res res) { model(res); });
  http.Post("/v1/chat/completions",
            json_post([this](Req req, Res res) { generate(req, res, true); }));
  http.Post("/v1/completions", json_post([this](Req req, Res res) { generate(req, res, false); }));
  http.Post("/mote/v1/scan", json_post([this](Req req, Res res) { scan(req, res); }));
  http.Get("/mote/v1/tunings", [this](Req, Res res) { list_tunings(res); });
  http.Post("/mote/v1/tunings", json_post([this](Req req, Res res) { add_tuning(req, res); }));
  http.Post("/tokenize", json_post([this](Req req, Res res) { tokenize(req, res); }));
  http.Post("/detokenize", json_post([this](Req req, Res res) { detokenize(req, res); }));
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
