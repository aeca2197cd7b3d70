#include "sessions/local_engine.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "sessions/child_process.h"

namespace mote::sessions {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kLogLines = 200;
constexpr const char* kListening = "listening on ";

[[noreturn]] void fail(const std::string& message) {
  throw EngineError(EngineError::Kind::kEngineDied, message);
}

std::string random_hex_key() {
  unsigned char bytes[32];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("cannot draw a random API key: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static const char* digits = "0123456789abcdef";
  std::string key;
  for (unsigned char b : bytes) {
    key += digits[b >> 4];
    key += digits[b & 15];
  }
  return key;
}

// A new 0600 file (mkstemp) under the temp directory holding `key`.
std::filesystem::path write_key_file(const std::string& key) {
  std::string path = (std::filesystem::temp_directory_path() / "mote-engine-key-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) fail("cannot create the API key file " + path + ": " + std::strerror(errno));
  const std::string content = key + "\n";
  const bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, content.data(), content.size()) ==
                                                 static_cast<ssize_t>(content.size());
  const int error = errno;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path);
    fail("cannot write the API key file " + path + ": " + std::strerror(error));
  }
  return path;
}

bool is_executable(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

struct LocalEngine::Impl {
  std::filesystem::path key_file;
  std::string description;  // "EXE serve --model DIR", for messages

  mutable std::mutex mutex;  // guards log and listen_url
  std::condition_variable listening_cv;
  std::deque<std::string> log;
  std::string listen_url;

  // Last member: destroyed first, so the reader thread (which fills `log`) ends before the rest.
  std::unique_ptr<ChildProcess> child;

  void on_line(bool from_stderr, const std::string& line) {
    std::lock_guard lock(mutex);
    if (!from_stderr && listen_url.empty() && line.rfind(kListening, 0) == 0) {
      listen_url = line.substr(std::strlen(kListening));
      while (!listen_url.empty() && (listen_url.back() == '\r' || listen_url.back() == ' '))
        listen_url.pop_back();
      listening_cv.notify_all();
      return;
    }
    log.push_back(line);
    if (log.size() > kLogLines) log.pop_front();
  }

  void remove_key_file() {
    if (key_file.empty()) return;
    std::error_code ec;
    std::filesystem::remove(key_file, ec);
    key_file.clear();
  }
};

std::unique_ptr<LocalEngine> LocalEngine::start(const LocalEngineOptions& options) {
  const auto deadline = Clock::now() + options.start_timeout;
  const std::filesystem::path exe =
      options.engine_executable.empty() ? find_engine_executable() : options.engine_executable;
  if (!is_executable(exe))
    fail("cannot start the engine: " + exe.string() + " is not an executable file");

  std::unique_ptr<LocalEngine> engine(new LocalEngine());
  engine->impl_ = std::make_unique<Impl>();
  Impl& impl = *engine->impl_;
  const std::string key = random_hex_key();
  impl.key_file = write_key_file(key);
  impl.description = exe.string() + " serve --model " + options.model_dir.string();

  std::vector<std::string> argv = {
      exe.string(), "serve",  "--model", options.model_dir.string(), "--host",
      "127.0.0.1",  "--port", "0",       "--api-key-file",           impl.key_file.string()};
  if (!options.log_requests) argv.push_back("--quiet");
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  // On any failure below, `engine` is destroyed: stop() kills the child and removes the key file.
  impl.child = std::make_unique<ChildProcess>(
      argv,
      [&impl](bool from_stderr, const std::string& line) { impl.on_line(from_stderr, line); });
  engine->pid_ = impl.child->pid();

  auto died = [&](const std::string& when) {
    fail("the engine (" + impl.description + ") " + impl.child->exit_description() + " " + when +
         "; its last output:\n" + engine->log_tail(20));
  };
  std::string url;
  {
    std::unique_lock lock(impl.mutex);
    while (impl.listen_url.empty()) {
      if (Clock::now() >= deadline) {
        lock.unlock();
        engine->stop(std::chrono::milliseconds(2000));
        fail("the engine (" + impl.description + ") did not start listening within " +
             std::to_string(options.start_timeout.count() / 1000) + " s; its last output:\n" +
             engine->log_tail(20));
      }
      impl.listening_cv.wait_for(lock, std::chrono::milliseconds(50));
      if (impl.listen_url.empty()) {
        lock.unlock();
        if (!impl.child->running()) died("before it was listening");
        lock.lock();
      }
    }
    url = impl.listen_url;
  }
  if (url.rfind("http://", 0) != 0) fail("the engine printed an unexpected address: " + url);
  engine->endpoint_ = {url, key};
  impl.remove_key_file();  // the engine read it at startup, before it listened

  EngineClientOptions quick;
  quick.connect_timeout = std::chrono::milliseconds(1000);
  quick.retries = 0;
  const EngineClient client(engine->endpoint_, quick);
  while (!client.healthy()) {
    if (!impl.child->running()) died("before it was healthy");
    if (Clock::now() >= deadline) {
      fail("the engine at " + url + " listens but its health check did not answer \"ok\" within " +
           std::to_string(options.start_timeout.count() / 1000) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return engine;
}

LocalEngine::~LocalEngine() {
  stop();
}

EngineClient LocalEngine::client(EngineClientOptions options) {
  options.on_connection_failure = [this] {
    // A refused connection may precede the kernel's exit notification by a moment.
    for (int i = 0; i < 20 && running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!running()) {
      fail("the local engine (pid " + std::to_string(pid_) + ") " + exit_description() +
           "; its last output:\n" + log_tail(20));
    }
  };
  return EngineClient(endpoint_, std::move(options));
}

bool LocalEngine::running() {
  return impl_ && impl_->child && impl_->child->running();
}

std::string LocalEngine::exit_description() {
  if (!impl_ || !impl_->child) return "was never started";
  return impl_->child->exit_description();
}

std::string LocalEngine::log_tail(std::size_t max_lines) const {
  if (!impl_) return {};
  std::lock_guard lock(impl_->mutex);
  const std::size_t n = std::min(max_lines, impl_->log.size());
  std::string out;
  for (std::size_t i = impl_->log.size() - n; i < impl_->log.size(); ++i) {
    out += impl_->log[i];
    out += '\n';
  }
  return out;
}

void LocalEngine::stop(std::chrono::milliseconds grace) {
  if (!impl_) return;
  if (impl_->child) impl_->child->terminate(grace);
  impl_->remove_key_file();
}

std::filesystem::path find_engine_executable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path next_to_us;
  if (!ec) {
    next_to_us = self.parent_path() / "mote-engine";
    if (is_executable(next_to_us)) return next_to_us;
  }
  if (const char* path = std::getenv("PATH")) {
    std::string list = path;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = std::min(list.find(':', start), list.size());
      const std::string dir = list.substr(start, end - start);
      if (!dir.empty()) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / "mote-engine";
        if (is_executable(candidate)) return candidate;
      }
      start = end + 1;
    }
  }
  fail("cannot find mote-engine: not next to this program (" +
       (next_to_us.empty() ? std::string("unknown") : next_to_us.string()) + ") and not on PATH");
}

}  // namespace mote::sessions
