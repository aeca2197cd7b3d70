#pragma once
// /v1/chat/completions and /v1/completions on the engine: a request is prepared on the HTTP
// thread (prompt rendered and tokenized, limits and tuning checked, defaults applied) and run on
// the engine worker, either into one JSON reply or as SSE chunks, one per generated token.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/generation.h"
#include "engine/server/server_model.h"
#include "engine/server/server_sse.h"
#include "protocol/wire_request.h"

namespace mote::server {

struct Reply {
  int status = 200;
  std::string body;
};

struct PreparedGeneration {
  GenerateRequest request;
  GenerationRequest engine;  // prompt ids, sampling, stop ids, tuning, capture
  std::string id;            // "chatcmpl-..." / "cmpl-..."
  std::string model;         // the id the reply names: the served model's or "ID:NAME"
  int64_t created = 0;
};

// RequestError for anything the client got wrong (including tuning addresses vs. the model).
// request.model must be resolved already (NamedTunings::resolve): `model` is what the reply
// names.
PreparedGeneration prepare_generation(const ModelBundle& bundle, GenerateRequest request,
                                      const RequestLimits& limits, std::string model);

// Engine worker side. `stopping`: the server is shutting down (cancel at the next token).
Reply run_generation(const ModelBundle& bundle, Generator& generator,
                     const PreparedGeneration& prep, const std::atomic<bool>& stopping);
void run_generation_stream(const ModelBundle& bundle, Generator& generator,
                           const PreparedGeneration& prep, StreamChannel& channel,
                           const std::atomic<bool>& stopping);

// Maps an exception escaping engine work to a reply: RequestError keeps its status, engine
// faults are 500.
Reply error_reply(const std::exception& e);

}  // namespace mote::server
