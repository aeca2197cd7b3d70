#include "engine/model/batch_scheduler.h"

#include <ATen/Parallel.h>

#include "engine/error.h"

namespace mote {

namespace {
thread_local int member_depth = 0;  // > 0 on a thread holding a Member
}  // namespace

BatchScheduler::BatchScheduler(std::shared_ptr<Transformer> model, int64_t max_batch,
                               std::chrono::microseconds gather)
    : model_(std::move(model)), max_batch_(std::max<int64_t>(1, max_batch)), gather_(gather) {
  // libtorch's thread count is per thread under OpenMP: the forward thread takes its creator's
  // (mote-engine --threads), not the machine's default.
  const int threads = at::get_num_threads();
  thread_ = std::thread([this, threads] {
    at::set_num_threads(threads);
    loop();
  });
}

BatchScheduler::~BatchScheduler() {
  {
    std::lock_guard lock(mutex_);
    exit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

BatchScheduler::Member::Member(BatchScheduler& s) : s_(s) {
  std::lock_guard lock(s_.mutex_);
  ++s_.members_;
  ++member_depth;
}

BatchScheduler::Member::~Member() {
  {
    std::lock_guard lock(s_.mutex_);
    --s_.members_;
    --member_depth;
  }
  s_.wake_.notify_all();  // the others may all be waiting now
}

BatchScheduler::Stats BatchScheduler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<StepOutput> BatchScheduler::run(const std::vector<SequenceStep>& steps) {
  if (steps.empty()) return {};
  for (const SequenceStep& s : steps) model_->check_step(s);
  Pending p;
  p.steps = &steps;
  p.member = member_depth > 0;
  std::unique_lock lock(mutex_);
  if (exit_) throw Error("the engine is shutting down");
  queue_.push_back(&p);
  queued_sequences_ += static_cast<int64_t>(steps.size());
  if (p.member) ++members_waiting_;
  lock.unlock();
  wake_.notify_all();
  lock.lock();
  done_.wait(lock, [&] { return p.done; });
  if (p.error) std::rethrow_exception(p.error);
  return std::move(p.out);
}

bool BatchScheduler::ready(std::chrono::steady_clock::time_point first) const {
  if (queue_.empty()) return false;
  if (exit_ || queued_sequences_ >= max_batch_) return true;
  // Every registered generation is waiting (callers that are not members count as waiting).
  if (members_waiting_ >= members_) return true;
  return std::chrono::steady_clock::now() - first >= gather_;
}

void BatchScheduler::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return exit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // exit_
    const auto first = std::chrono::steady_clock::now();
    while (!ready(first)) wake_.wait_until(lock, first + gather_);
    // Whole callers, first come first served, up to max_batch sequences (a caller with more
    // sequences than that runs alone).
    std::vector<Pending*> batch;
    int64_t n = 0;
    while (!queue_.empty()) {
      Pending* p = queue_.front();
      const auto k = static_cast<int64_t>(p->steps->size());
      if (!batch.empty() && n + k > max_batch_) break;
      batch.push_back(p);
      queue_.pop_front();
      n += k;
      if (p->member) --members_waiting_;  // it comes back after its token
    }
    queued_sequences_ -= n;
    lock.unlock();

    std::vector<SequenceStep> steps;
    steps.reserve(static_cast<size_t>(n));
    for (Pending* p : batch) steps.insert(steps.end(), p->steps->begin(), p->steps->end());
    std::vector<StepOutput> out;
    std::exception_ptr error;
    try {
      out = model_->forward_packed(steps);
    } catch (...) {
      error = std::current_exception();
    }

    lock.lock();
    size_t at = 0;
    for (Pending* p : batch) {
      const size_t k = p->steps->size();
      if (error) {
        p->error = error;
      } else {
        p->out.assign(std::make_move_iterator(out.begin() + static_cast<ptrdiff_t>(at)),
                      std::make_move_iterator(out.begin() + static_cast<ptrdiff_t>(at + k)));
      }
      at += k;
      p->done = true;
    }
    ++stats_.forwards;
    stats_.sequences += n;
    stats_.largest = std::max(stats_.largest, n);
    done_.notify_all();
  }
}

}  // namespace mote
