#pragma once
// How a `mote` command reaches an engine: a remote one (--engine URL, key from --api-key-file or
// $MOTE_API_KEY) or a local `mote-engine serve` started for the command's duration (--model DIR,
// default: the shipped demo model in resources/models/). Connected lazily: a command whose runs
// are all finished never starts an engine.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sessions/cli/cli_common.h"
#include "sessions/engine_client.h"
#include "sessions/local_engine.h"

namespace mote::cli {

// Prompts a command keeps in flight unless --concurrency says otherwise.
inline constexpr int kDefaultConcurrency = 16;

// --engine (repeatable), --concurrency, --api-key-file, --model, --engine-threads,
// --engine-dtype, --engine-arg.
void add_engine_options(ArgParser& parser);

class EngineSession {
 public:
  EngineSession(const ParsedArgs& args, CliContext& ctx);
  ~EngineSession();

  // Connects on first use (starting the local engine if needed) and checks /mote/v1/model.
  const sessions::EngineClient& client();
  const mote::ModelInfo& model();
  // The engines after the first (--engine given more than once); the run checks they serve the
  // same model.
  std::vector<const sessions::EngineClient*> more_clients();
  int concurrency() const { return concurrency_; }
  // "http://gpu-box:8000" or "local engine (pid 123) on DIR".
  std::string description() const;

 private:
  void connect();

  CliContext& ctx_;
  std::optional<std::string> url_;
  std::vector<std::string> more_urls_;
  std::vector<sessions::EngineClient> more_clients_;
  int concurrency_ = kDefaultConcurrency;
  std::string api_key_;
  std::string model_dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<sessions::LocalEngine> local_;
  std::unique_ptr<sessions::EngineClient> client_;
  std::optional<mote::ModelInfo> model_;
};

// The key in a key file: its content with surrounding whitespace trimmed (as mote-engine reads
// it). SessionError naming the file if it cannot be read or is empty.
std::string read_api_key_file(const std::string& path);

}  // namespace mote::cli
