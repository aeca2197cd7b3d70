#pragma once
// The server's single engine thread: requests run one at a time in arrival order, so the model,
// its KV caches and libtorch's intra-op thread pool are never shared between requests. The queue
// is bounded; a full queue is the client's 429.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace mote::server {

class EngineWorker {
 public:
  explicit EngineWorker(size_t max_queue);
  ~EngineWorker();  // shutdown() and join
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Queues a job; false when max_queue jobs are already waiting or the worker is stopping.
  bool submit(std::function<void()> job);
  // From now on stopping() is true: running jobs see it in their token callbacks and cancel,
  // queued jobs still run (and should answer "shutting down" without engine work).
  void shutdown();
  // Blocks until every submitted job has finished.
  void wait_idle();
  bool stopping() const { return stopping_.load(); }
  size_t queued() const;

 private:
  void run();
  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, exit_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace mote::server
