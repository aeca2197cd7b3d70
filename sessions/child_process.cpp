#include "sessions/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "sessions/engine_client.h"

namespace mote::sessions {
namespace {

constexpr std::size_t kMaxLine = 4096;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the forked child, before exec: async-signal-safe calls only (the parent has other threads,
// whose locks may be held forever in this copy of the address space).
[[noreturn]] void exec_child(char* const* args, pid_t parent, int devnull, int out, int err,
                             int status_pipe) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // a blocked SIGTERM would survive exec
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD}) ::sigaction(s, &default_action, nullptr);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
#if defined(SYS_close_range)
  // Nothing else of ours (sockets, session files) leaks into the child. 1u << 2 is
  // CLOSE_RANGE_CLOEXEC: the status pipe must stay open until exec succeeds. Older kernels fail
  // this call; then only our own pipes are guaranteed close-on-exec.
  ::syscall(SYS_close_range, 3u, ~0u, 1u << 2);
#endif
  ::execv(args[0], args);
  const int error = errno;
  (void)!::write(status_pipe, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, LineHandler on_line)
    : on_line_(std::move(on_line)) {
  if (argv.empty()) throw EngineError(EngineError::Kind::kEngineDied, "no program to start");
  reader_ = std::thread([this, argv] {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    auto report = [&](int pid, const std::string& error) {
      std::lock_guard lock(mutex_);
      pid_ = pid;
      spawn_error_ = error.empty() ? error : "cannot start " + argv[0] + ": " + error;
      spawn_reported_ = true;
      spawned_cv_.notify_all();
    };
    int out[2] = {-1, -1}, err[2] = {-1, -1}, status[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
        ::pipe2(status, O_CLOEXEC) != 0) {
      const std::string error = std::strerror(errno);
      for (int* p : {out, err, status}) close_fd(p[0]), close_fd(p[1]);
      report(-1, "cannot create pipes: " + error);
      return;
    }
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) exec_child(args.data(), parent, devnull, out[1], err[1], status[1]);
    const int fork_errno = errno;
    close_fd(out[1]);
    close_fd(err[1]);
    close_fd(status[1]);
    close_fd(devnull);
    if (pid < 0) {
      close_fd(out[0]);
      close_fd(err[0]);
      close_fd(status[0]);
      report(-1, std::string("fork failed: ") + std::strerror(fork_errno));
      return;
    }
    // EOF: exec succeeded (the pipe was close-on-exec); an int: exec's errno.
    int exec_errno = 0;
    ssize_t n;
    do {
      n = ::read(status[0], &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
    close_fd(status[0]);
    if (n == static_cast<ssize_t>(sizeof exec_errno)) {
      ::waitpid(pid, nullptr, 0);
      close_fd(out[0]);
      close_fd(err[0]);
      report(-1, std::strerror(exec_errno));
      return;
    }
    report(pid, {});
    read_output(out[0], err[0]);
  });
  std::unique_lock lock(mutex_);
  spawned_cv_.wait(lock, [&] { return spawn_reported_; });
  if (!spawn_error_.empty()) {
    const std::string error = spawn_error_;
    lock.unlock();
    reader_.join();
    throw EngineError(EngineError::Kind::kEngineDied, error);
  }
}

ChildProcess::~ChildProcess() {
  terminate(std::chrono::milliseconds(5000));
}

void ChildProcess::read_output(int stdout_fd, int stderr_fd) {
  struct Stream {
    int fd;
    bool from_stderr;
    std::string partial;
  } streams[2] = {{stdout_fd, false, {}}, {stderr_fd, true, {}}};
  auto deliver = [&](const Stream& s, const std::string& line) {
    try {
      if (on_line_) on_line_(s.from_stderr, line);
    } catch (...) {
      // A handler's failure must not end the reader (the child would block on a full pipe).
    }
  };
  char buffer[4096];
  while (streams[0].fd >= 0 || streams[1].fd >= 0) {
    pollfd fds[2];
    nfds_t count = 0;
    Stream* order[2];
    for (auto& s : streams) {
      if (s.fd < 0) continue;
      fds[count] = {s.fd, POLLIN, 0};
      order[count++] = &s;
    }
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      Stream& s = *order[i];
      const ssize_t n = ::read(s.fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {  // EOF (the child exited or closed it) or an error
        if (!s.partial.empty()) deliver(s, s.partial);
        s.partial.clear();
        close_fd(s.fd);
        continue;
      }
      s.partial.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (;;) {
        const std::size_t end = s.partial.find('\n', start);
        if (end == std::string::npos) break;
        deliver(s, s.partial.substr(start, end - start));
        start = end + 1;
      }
      s.partial.erase(0, start);
      while (s.partial.size() >= kMaxLine) {
        deliver(s, s.partial.substr(0, kMaxLine));
        s.partial.erase(0, kMaxLine);
      }
    }
  }
  for (auto& s : streams) close_fd(s.fd);
}

bool ChildProcess::reap_locked(bool block) {
  if (reaped_ || pid_ <= 0) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = status;
  } else if (r < 0) {  // ECHILD: reaped elsewhere (SIGCHLD ignored); its status is lost
    reaped_ = true;
    wait_status_ = -1;
  }
  return reaped_;
}

bool ChildProcess::running() {
  std::lock_guard lock(mutex_);
  return !reap_locked(false);
}

std::string ChildProcess::exit_description() {
  std::lock_guard lock(mutex_);
  if (!reap_locked(false)) return "is running";
  if (wait_status_ == -1) return "has exited";
  if (WIFEXITED(wait_status_))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    const int sig = WTERMSIG(wait_status_);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) +
           (name ? std::string(" (") + name + ")" : "");
  }
  return "has exited";
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  if (terminated_) return;
  terminated_ = true;
  if (!reap_locked(false)) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!reap_locked(false) && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();  // others may ask running() meanwhile
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
    }
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      reap_locked(true);
    }
  }
  // The reader ends at EOF of both pipes, i.e. once the child is gone. It never takes mutex_
  // after the spawn report, so joining under the lock is safe and keeps a second caller out.
  if (reader_.joinable()) reader_.join();
}

}  // namespace mote::sessions
