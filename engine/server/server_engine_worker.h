#pragma once
// The server's engine threads: up to `parallel` requests in progress at once, each on its own
// thread, started in arrival order. They share the model only through the BatchScheduler, which
// runs the forward steps of all of them together (engine/model/batch_scheduler.h), so the model,
// libtorch's thread pool and each request's KV cache are never used by two threads at once. The
// queue of requests not yet started is bounded; a full queue is the client's 429.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mote::server {

class EngineWorker {
 public:
  EngineWorker(size_t max_queue, size_t parallel = 1);
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
  size_t queued() const;   // submitted, not started
  size_t running() const;  // started, not finished
  size_t parallel() const { return threads_.size(); }

 private:
  void run();

  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool exit_ = false;
  std::atomic<bool> stopping_{false};

  std::vector<std::thread> threads_;
};

}  // namespace mote::server
