#include "sessions/cli/cli_engine.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sessions/resources.h"
#include "sessions/session_error.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

void add_engine_options(ArgParser& parser) {
  parser
      .repeated("--engine", "URL",
                "a running engine, e.g. http://gpu-box:8000 [default: $MOTE_ENGINE, else a local "
                "engine]; repeat it to spread prompts over engines serving the same model")
      .option("--concurrency", "N",
              "prompts in flight at once, batched by the engine (1-256) [default: " +
                  std::to_string(kDefaultConcurrency) + "]")
      .option("--api-key-file", "F", "file holding the engine's API key [default: $MOTE_API_KEY]")
      .option("--model", "DIR",
              "start a local engine on this checkpoint for the command [default: "
              "resources/models/<demo model>]")
      .option("--engine-threads", "N", "local engine: compute threads (mote-engine --threads)")
      .option("--engine-dtype", "DTYPE", "local engine: fp32 or bf16 (mote-engine --dtype)")
      .repeated("--engine-arg", "ARG", "local engine: one more mote-engine serve argument");
}

std::string read_api_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SessionError("cannot read API key file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string key = buffer.str();
  const auto first = key.find_first_not_of(" \t\r\n");
  const auto last = key.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) throw SessionError("API key file " + path + " is empty");
  return key.substr(first, last - first + 1);
}

EngineSession::EngineSession(const ParsedArgs& args, CliContext& ctx) : ctx_(ctx) {
  const std::vector<std::string> urls = args.all("--engine");
  if (!urls.empty()) url_ = urls.front();
  more_urls_.assign(urls.begin() + (urls.empty() ? 0 : 1), urls.end());
  if (auto n = args.get("--concurrency")) {
    concurrency_ = static_cast<int>(parse_int(*n, "--concurrency"));
    if (concurrency_ < 1 || concurrency_ > 256)
      throw UsageError("--concurrency must be in [1, 256], got " + *n);
  }
  if (!url_) {
    if (const char* env = std::getenv("MOTE_ENGINE"); env && *env && !args.has("--model"))
      url_ = env;
  }
  if (url_ && args.has("--model"))
    throw UsageError("--engine and --model exclude each other (a remote or a local engine)");
  const bool local_only =
      args.has("--engine-threads") || args.has("--engine-dtype") || args.has("--engine-arg");
  if (url_ && local_only) {
    throw UsageError(
        "--engine-threads, --engine-dtype and --engine-arg configure a local engine; they do not "
        "apply to --engine " +
        *url_);
  }
  if (auto key_file = args.get("--api-key-file")) {
    if (!url_) throw UsageError("--api-key-file goes with --engine URL");
    api_key_ = read_api_key_file(*key_file);
  } else if (const char* env = std::getenv("MOTE_API_KEY"); env && *env) {
    api_key_ = env;
  }
  if (!url_) {
    if (auto dir = args.get("--model")) {
      model_dir_ = *dir;
      std::error_code ec;
      if (!fs::is_regular_file(fs::path(model_dir_) / "config.json", ec))
        throw SessionError("--model " + model_dir_ + ": no config.json in that folder");
    }
    if (auto threads = args.get("--engine-threads")) {
      parse_int(*threads, "--engine-threads");
      extra_args_.insert(extra_args_.end(), {"--threads", *threads});
    }
    if (auto dtype = args.get("--engine-dtype"))
      extra_args_.insert(extra_args_.end(), {"--dtype", *dtype});
    for (const auto& arg : args.all("--engine-arg")) extra_args_.push_back(arg);
  }
}

EngineSession::~EngineSession() = default;

void EngineSession::connect() {
  if (client_) return;
  if (url_) {
    std::string url = *url_;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      throw UsageError("--engine " + url + ": expected an http:// or https:// URL");
    client_ = std::make_unique<EngineClient>(EngineEndpoint{url, api_key_});
    for (std::string more : more_urls_) {
      while (!more.empty() && more.back() == '/') more.pop_back();
      if (more.rfind("http://", 0) != 0 && more.rfind("https://", 0) != 0)
        throw UsageError("--engine " + more + ": expected an http:// or https:// URL");
      more_clients_.emplace_back(EngineEndpoint{more, api_key_});
    }
  } else {
    if (model_dir_.empty()) {
      auto dir = default_model_dir();
      if (!dir) {
        throw SessionError(
            "no engine: pass --engine URL (a running mote-engine serve) or --model DIR (a "
            "checkpoint to start a local engine on); there is no demo model in "
            "resources/models/");
      }
      model_dir_ = dir->string();
    }
    LocalEngineOptions options;
    options.model_dir = model_dir_;
    options.extra_args = extra_args_;
    ctx_.err << "starting a local engine on " << model_dir_ << " ...\n" << std::flush;
    local_ = LocalEngine::start(options);
    client_ = std::make_unique<EngineClient>(local_->client());
  }
  model_ = client_->model();
}

const EngineClient& EngineSession::client() {
  connect();
  return *client_;
}

const ModelInfo& EngineSession::model() {
  connect();
  return *model_;
}

std::vector<const EngineClient*> EngineSession::more_clients() {
  connect();
  std::vector<const EngineClient*> out;
  for (const EngineClient& c : more_clients_) out.push_back(&c);
  return out;
}

std::string EngineSession::description() const {
  if (url_) {
    std::string d = *url_;
    for (const auto& more : more_urls_) d += " + " + more;
    return d;
  }
  if (local_) return "local engine (pid " + std::to_string(local_->pid()) + ") on " + model_dir_;
  return "local engine on " + (model_dir_.empty() ? std::string("the demo model") : model_dir_);
}

}  // namespace mote::cli
