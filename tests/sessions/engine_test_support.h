#pragma once
// Engine client and run executor tests: a REAL `mote-engine serve` on loopback, started through
// LocalEngine on the tiny model (tests/data/v3-tiny weights + tests/data/tiny-tokenizer). One
// shared engine per test binary, started on first use; tests that kill or overload an engine
// start their own.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "sessions/local_engine.h"

namespace mote::sessions_test {

inline std::filesystem::path test_data_dir() {
  return MOTE_TEST_DATA_DIR;
}
inline std::filesystem::path engine_binary() {
  return std::filesystem::path(MOTE_BIN_DIR) / "mote-engine";
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// v3-tiny's weights and configs + the tiny tokenizer, symlinked into one checkpoint directory
// (the pattern of tests/engine/server_test_support.h).
class TinyModelDir {
 public:
  TinyModelDir() : dir_("mote-client-model") {
    const auto data = test_data_dir();
    for (const char* f : {"config.json", "model.safetensors", "generation_config.json"})
      std::filesystem::create_symlink(data / "v3-tiny" / f, dir_ / f);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      std::filesystem::create_symlink(data / "tiny-tokenizer" / f, dir_ / f);
  }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

inline sessions::LocalEngineOptions tiny_engine_options(const TinyModelDir& model,
                                                        std::vector<std::string> extra = {}) {
  sessions::LocalEngineOptions o;
  o.engine_executable = engine_binary();
  o.model_dir = model.path();
  // One engine thread: on a shared 2-core box libtorch's spinning pool only fights the builds.
  o.extra_args = {"--threads", "1"};
  o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
  o.start_timeout = std::chrono::seconds(60);
  return o;
}

// The engine shared by the tests of this binary (stopped at exit).
inline sessions::LocalEngine& shared_engine() {
  static TinyModelDir model;
  static std::unique_ptr<sessions::LocalEngine> engine =
      sessions::LocalEngine::start(tiny_engine_options(model));
  return *engine;
}

inline sessions::EngineClient shared_client(sessions::EngineClientOptions options = {}) {
  return shared_engine().client(std::move(options));
}

inline const mote::ModelGeometry& tiny_geometry() {
  static const mote::ModelGeometry geometry{{1, 2, 3}, 16, 4};
  return geometry;
}

}  // namespace mote::sessions_test
