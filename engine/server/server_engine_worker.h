#pragma once
// The server's engine threads. Up to `parallel` requests run at once, but only one of them uses
// the model at a time: a running job holds the *engine turn* and passes it on between forward
// calls (yield_turn(), called at every generated token and scan batch), first come first served.
// So two streamed generations advance token by token together (the workbench's original vs tuned
// panes), while the model, libtorch's intra-op thread pool and each request's KV cache are never
// used by two threads at once. The queue of requests not yet started is bounded; a full queue is
// the client's 429.
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

  // Called by a job between two forward calls: lets the other running jobs take their turn
  // (returns at once when none is waiting). A no-op on threads that are not engine threads.
  static void yield_turn();

 private:
  void run();
  void acquire_turn();
  void release_turn();

  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool exit_ = false;
  std::atomic<bool> stopping_{false};

  // The engine turn: a FIFO ticket lock.
  std::mutex turn_mutex_;
  std::condition_variable turn_cv_;
  uint64_t next_ticket_ = 0, serving_ = 0;

  std::vector<std::thread> threads_;
};

}  // namespace mote::server
