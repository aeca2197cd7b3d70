#pragma once
// Continuous batching: many threads (one per request in flight) each drive their own
// sequence's generation and hand every forward step to the scheduler, which runs the steps of all
// callers waiting at that moment as one packed forward (Transformer::forward_packed), up to
// max_batch sequences. A generation joins with its prefill (new prompts' prefills run together,
// beside the others' decode steps) and leaves when it stops calling. Per-sequence tuning,
// capture, cache length, sampling and stop rules stay with the caller; in fp32 a sequence's
// numbers do not depend on what it was batched with.
//
// Lining up: a caller that will come back for its next token registers as a Member while it
// generates. The scheduler runs a forward as soon as every member is waiting (or max_batch
// sequences are), and otherwise waits at most `gather` for the stragglers, so one slow client
// cannot stall the others.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/model/model.h"

namespace mote {

class BatchScheduler {
 public:
  explicit BatchScheduler(std::shared_ptr<Transformer> model, int64_t max_batch = 32,
                          std::chrono::microseconds gather = std::chrono::milliseconds(10));
  ~BatchScheduler();  // lets the forward in progress finish; later run() calls throw
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Runs `steps` (one or more sequences of the caller) in the next forward; blocks until done.
  // A step the model refuses (Transformer::check_step) throws here, on the caller's thread,
  // before it can fail anyone else's batch.
  std::vector<StepOutput> run(const std::vector<SequenceStep>& steps);

  // Held by a caller for as long as it keeps coming back with steps (RAII).
  class Member {
   public:
    explicit Member(BatchScheduler& s);
    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

   private:
    BatchScheduler& s_;
  };

  int64_t max_batch() const { return max_batch_; }
  struct Stats {
    int64_t forwards = 0;   // packed forward calls run
    int64_t sequences = 0;  // sequence steps run (sum over forwards)
    int64_t largest = 0;    // most sequences in one forward
  };
  Stats stats() const;

 private:
  struct Pending {
    const std::vector<SequenceStep>* steps = nullptr;
    std::vector<StepOutput> out;
    std::exception_ptr error;
    bool member = false;  // its caller holds a Member
    bool done = false;
  };
  void loop();
  bool ready(std::chrono::steady_clock::time_point first) const;  // mutex_ held

  std::shared_ptr<Transformer> model_;
  const int64_t max_batch_;
  const std::chrono::microseconds gather_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<Pending*> queue_;
  int64_t queued_sequences_ = 0;
  int64_t members_ = 0, members_waiting_ = 0;
  bool exit_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace mote
