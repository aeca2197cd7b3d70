#pragma once
// A child process (fork + exec) whose stdout and stderr are read line by line on a thread of its
// own, and which receives SIGTERM if this process dies (PR_SET_PDEATHSIG).
//
// The reader thread is also the thread that forks: Linux sends the parent-death signal when the
// *thread* that forked exits, not the process. The reader lives exactly as long as the child's
// output pipes are open, so the child is signalled when our process dies, and never because some
// short-lived worker thread (a GUI job) that started it has finished.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mote::sessions {

class ChildProcess {
 public:
  // Called on the reader thread for every complete line (without the '\n'; long lines are split
  // at 4096 bytes).
  using LineHandler = std::function<void(bool from_stderr, const std::string& line)>;

  // Starts argv[0] (a path; PATH is not searched) with stdin from /dev/null, in its own process
  // group (a terminal's Ctrl-C goes to us, and we stop the child). Throws EngineError kEngineDied
  // if it cannot be started (fork or exec failed), naming the executable and the reason.
  ChildProcess(const std::vector<std::string>& argv, LineHandler on_line);
  ~ChildProcess();  // terminate()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  // False once the child has exited (reaps it without blocking). Thread-safe.
  bool running();
  // "is running", "exited with status 1", "was killed by signal 9 (Killed)". Thread-safe.
  std::string exit_description();
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it and joins the reader.
  // Idempotent, thread-safe.
  void terminate(std::chrono::milliseconds grace);

 private:
  void read_output(int stdout_fd, int stderr_fd);
  bool reap_locked(bool block);

  LineHandler on_line_;
  std::thread reader_;
  int pid_ = -1;
  std::mutex mutex_;  // guards everything below
  std::condition_variable spawned_cv_;
  bool spawn_reported_ = false;
  std::string spawn_error_;
  bool reaped_ = false;
  int wait_status_ = 0;
  bool terminated_ = false;
};

}  // namespace mote::sessions
