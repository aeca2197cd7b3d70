#include "engine/server_engine_worker.h"

namespace mote::server {

EngineWorker::EngineWorker(size_t max_queue) : max_queue_(max_queue), thread_([this] { run(); }) {}

EngineWorker::~EngineWorker() {
  shutdown();
  {
    std::lock_guard lock(mutex_);
    exit_ = true;
  }
  cv_.notify_all();
  thread_.join();
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
  idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

size_t EngineWorker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void EngineWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return exit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // exit_ and nothing left: every job has run
    auto job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    job();  // jobs catch their own exceptions: they own the reply to their client
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace mote::server
