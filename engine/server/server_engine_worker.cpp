#include "engine/server/server_engine_worker.h"

namespace mote::server {

EngineWorker::EngineWorker(size_t max_queue, size_t parallel) : max_queue_(max_queue) {
  for (size_t i = 0; i < std::max<size_t>(1, parallel); ++i)
    threads_.emplace_back([this] { run(); });
}

EngineWorker::~EngineWorker() {
  shutdown();
  {
    std::lock_guard lock(mutex_);
    exit_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool EngineWorker::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void EngineWorker::shutdown() {
  stopping_ = true;
}

void EngineWorker::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

size_t EngineWorker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

size_t EngineWorker::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void EngineWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return exit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // exit_ and nothing left: every job has run
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    job();  // jobs catch their own exceptions: they own the reply to their client
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace mote::server
