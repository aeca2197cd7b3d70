#pragma once
// POST /mote/v1/scan: many prompts prefilled (optionally with a few generated tokens) under one
// tuning, streamed back one activation map per prompt as each finishes, so a client can show
// progress and a crash loses nothing already sent.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/model/generation.h"
#include "engine/server/server_model.h"
#include "engine/server/server_sse.h"
#include "protocol/wire_request.h"

namespace mote::server {

struct PreparedScan {
  ScanRequest request;
  std::vector<std::vector<int64_t>> prompts;     // token ids
  std::shared_ptr<const CompiledTuning> tuning;  // compiled once for every prompt; null: untuned
  SamplingParams sampling;
};

// RequestError for an empty or too long prompt (naming its index) or a bad tuning.
PreparedScan prepare_scan(const ModelBundle& bundle, ScanRequest request,
                          const RequestLimits& limits);

// Engine worker side: SSE events mote.scan.start, one mote.scan.result per prompt (in the order
// they finish; each names its index), mote.scan.done, then [DONE].
void run_scan_stream(const ModelBundle& bundle, Generator& generator, const PreparedScan& scan,
                     StreamChannel& channel, const std::atomic<bool>& stopping);

}  // namespace mote::server
