// mote-engine serve: the HTTP server (server.h) on a checkpoint directory, until SIGINT/SIGTERM.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include <ATen/Parallel.h>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/model/device_map.h"
#include "engine/server/server.h"
#include "engine/server/server_errors.h"
#include "engine/server/server_security.h"
#include "protocol/cli_args.h"
#include "protocol/tuning_spec.h"

namespace mote {
namespace {

// SIGINT/SIGTERM only write the signal number to a pipe (async-signal-safe); a watcher thread
// reads it and shuts the server down in ordinary code. (Blocking the signals and sigwait()ing is
// not enough: libtorch starts threads before main that would take the default action.)
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  const unsigned char s = static_cast<unsigned char>(sig);
  (void)!write(g_signal_pipe[1], &s, 1);
}

}  // namespace

int run_serve_command(int argc, char** argv) {
  const RequestLimits d;
  cli::ArgParser parser(
      "mote-engine serve",
      "Serves a checkpoint directory (config.json, safetensors, tokenizer.json,\n"
      "tokenizer_config.json, generation_config.json) over HTTP: OpenAI-compatible\n"
      "/v1/models, /v1/chat/completions, /v1/completions and the MoTE routes /mote/v1/model,\n"
      "/tokenize, /detokenize, /mote/v1/scan, /mote/v1/tunings, /mote/v1/health. Binds 127.0.0.1 "
      "unless --host is given; any other\n"
      "address needs --api-key-file. SIGINT/SIGTERM cancel running requests and exit.");
  parser.option("--model", "DIR", "checkpoint directory")
      .option("--host", "ADDR", "address to listen on", "127.0.0.1")
      .option("--port", "N", "port (0: any free port, printed at startup)", "8000")
      .option("--api-key-file", "FILE", "file holding the bearer key clients must send")
      .option("--model-id", "NAME", "model name in responses (default: the directory name)")
      .option("--template", "NAME",
              "chat template override (deepseek-r1, deepseek-r1-early, deepseek-v3, deepseek-v2)")
      .option("--devices", "SPEC", "device map: cpu, cuda:0, cuda:0-7, cuda:0,2", "cpu")
      .option("--dtype", "fp32|bf16", "compute dtype", "fp32")
      .option("--threads", "N", "CPU threads for the engine",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())))
      .option("--http-threads", "N", "connections served at once", "32")
      .option("--max-body-bytes", "N", "request body limit (413 beyond)",
              std::to_string(d.max_body_bytes))
      .option("--max-prompt-tokens", "N", "prompt length limit",
              std::to_string(d.max_prompt_tokens))
      .option("--max-tokens", "N", "max_tokens limit (also the default)",
              std::to_string(d.max_tokens))
      .option("--max-scan-prompts", "N", "prompts per scan", std::to_string(d.max_scan_prompts))
      .option("--max-scan-batch", "N", "largest prefill batch of a scan",
              std::to_string(d.max_scan_batch))
      .option("--max-queue", "N", "requests waiting for the engine (429 beyond)",
              std::to_string(d.max_queue))
      .option("--max-batch", "N",
              "requests in progress at once, decoded together in one forward per token (<= 256)",
              std::to_string(server::ServerOptions{}.max_batch))
      .repeated("--tuned", "NAME=FILE",
                "serve the tuning in FILE (a tuning JSON) as the model id ID:NAME as well "
                "(repeatable; more at run time with POST /mote/v1/tunings)")
      .flag("--quiet", "do not log requests");
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));

  server::ServerOptions o;
  o.host = args.value("--host");
  o.port = args.int_value("--port");
  if (o.port < 0 || o.port > 65535) throw UsageError("--port must be in [0, 65535]");
  if (auto f = args.get("--api-key-file")) o.api_key = server::read_api_key_file(*f);
  server::check_bind_policy(o.host, o.api_key);  // before the (slow) model load
  auto positive = [&](const char* name) {
    const int v = args.int_value(name);
    if (v < 1) throw UsageError(std::string(name) + " must be >= 1");
    return v;
  };
  o.limits.max_body_bytes = static_cast<size_t>(positive("--max-body-bytes"));
  o.limits.max_prompt_tokens = positive("--max-prompt-tokens");
  o.limits.max_tokens = positive("--max-tokens");
  o.limits.max_scan_prompts = positive("--max-scan-prompts");
  o.limits.max_scan_batch = positive("--max-scan-batch");
  o.limits.max_queue = positive("--max-queue");
  o.http_threads = positive("--http-threads");
  o.max_batch = positive("--max-batch");
  if (o.max_batch > 256) throw UsageError("--max-batch must be in [1, 256]");
  o.log_requests = !args.flag("--quiet");
  at::set_num_threads(positive("--threads"));
  for (const std::string& tuned : args.all("--tuned")) {
    const auto eq = tuned.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == tuned.size())
      throw UsageError("--tuned takes NAME=FILE, got '" + tuned + "'");
    const std::string name = tuned.substr(0, eq);
    if (o.tunings.count(name)) throw UsageError("--tuned names '" + name + "' twice");
    try {
      o.tunings[name] = TuningSpec::from_file(tuned.substr(eq + 1));
    } catch (const TuningError& e) {
      throw UsageError(std::string("--tuned ") + name + ": " + e.what());
    }
  }

  EngineOptions options;
  const std::string dtype = args.value("--dtype");
  if (dtype == "fp32")
    options.compute_dtype = at::kFloat;
  else if (dtype == "bf16")
    options.compute_dtype = at::kBFloat16;
  else
    throw UsageError("--dtype must be fp32 or bf16, got '" + dtype + "'");
  const std::string dir = args.value("--model");
  auto devices = DeviceMap::parse_devices(args.value("--devices"));
  const bool cpu_only = devices.size() == 1 && devices[0].is_cpu();

  std::cerr << "mote-engine serve: loading " << dir << "\n";
  int64_t n_layers = 0;
  {
    const ModelConfig c = ModelConfig::from_file(std::filesystem::path(dir) / "config.json");
    n_layers = c.num_hidden_layers;
  }
  auto bundle =
      server::ModelBundle::load(dir, options, cpu_only ? DeviceMap() : DeviceMap(devices, n_layers),
                                args.get("--template"), args.get("--model-id"));
  // A tuning's experts are checked against the model here, before the port opens.
  std::optional<server::Server> srv_holder;
  try {
    srv_holder.emplace(bundle, o);
  } catch (const server::RequestError& e) {
    throw UsageError(std::string("--tuned: ") + e.what());
  }
  server::Server& srv = *srv_holder;
  const int port = srv.bind();
  if (pipe(g_signal_pipe) != 0) throw Error("cannot create the signal pipe");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::thread watcher([&] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // woken by the normal exit below
    std::cerr << "mote-engine serve: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
              << ": cancelling requests and stopping\n";
    srv.stop();
  });
  std::cerr << "mote-engine serve: model '" << bundle->id << "' on "
            << bundle->model->devices().describe() << (o.api_key ? ", API key required" : "")
            << "\n";
  // The port on stdout, alone on a line, for a launcher that started us with --port 0.
  std::cout << "listening on http://" << o.host << ":" << port << std::endl;
  srv.listen();
  srv.stop();
  const unsigned char wake = 0;  // listen() also returns on errors: let the watcher finish
  (void)!write(g_signal_pipe[1], &wake, 1);
  watcher.join();
  std::cerr << "mote-engine serve: stopped\n";
  return 0;
}

}  // namespace mote
