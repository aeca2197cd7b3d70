// libFuzzer entry point for the request parser (protocol/wire_request.cpp), the code that reads
// untrusted bytes from the network. The first byte picks the route (chat, completion, scan), the
// rest is the body. Every input must either parse into a request that satisfies the validator's
// guarantees and reads back unchanged from its own to_json() (what the client sends), or fail
// with an InvalidRequest the server answers with a 400; crashes, sanitizer reports, other
// exceptions and broken guarantees are findings.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/server/server_errors.h"
#include "engine/server/server_json.h"
#include "engine/server/server_stop.h"
#include "protocol/error.h"

namespace {

using namespace mote;
using namespace mote::server;

const mote::ModelGeometry kGeometry{{3, 4, 5, 7}, 16, 4};

RequestLimits limits() {
  RequestLimits l;
  l.max_tokens = 64;
  l.max_prompt_tokens = 128;
  l.max_scan_prompts = 8;
  l.max_scan_batch = 4;
  return l;
}

// A parsed tuning always passes the project's one rule set and round-trips through JSON.
void check_mote(const mote::MoteOptions& m) {
  try {
    m.tuning.validate(kGeometry);
  } catch (const mote::TuningError&) {
    __builtin_trap();
  }
  if (!(mote::TuningSpec::from_json(m.tuning.to_json()) == m.tuning)) __builtin_trap();
  (void)dump(m.to_json());
}

void check_generate(const GenerateRequest& r, const RequestLimits& l) {
  if (r.chat && r.messages.empty()) __builtin_trap();
  if (r.max_tokens && (*r.max_tokens < 1 || *r.max_tokens > l.max_tokens)) __builtin_trap();
  if (r.sampling.top_p && !(*r.sampling.top_p > 0 && *r.sampling.top_p <= 1)) __builtin_trap();
  if (r.sampling.temperature && !(*r.sampling.temperature >= 0)) __builtin_trap();
  if (r.stop.size() > l.max_stop) __builtin_trap();
  for (const auto& s : r.stop) {
    if (s.empty()) __builtin_trap();
    // Stop matching on arbitrary text never emits more than it was given.
    StopMatcher m({s});
    std::string out = m.push(r.prompt.substr(0, 64));
    out += m.finish();
    if (out.size() > std::min<size_t>(r.prompt.size(), 64)) __builtin_trap();
  }
  check_mote(r.mote);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const RequestLimits l = limits();
  try {
    switch (data[0] % 3) {
      case 0: {
        const GenerateRequest r = parse_chat_request(body, l, kGeometry);
        check_generate(r, l);
        if (!(parse_chat_request(dump(r.to_json()), l, kGeometry) == r)) __builtin_trap();
        break;
      }
      case 1: {
        const GenerateRequest r = parse_completion_request(body, l, kGeometry);
        check_generate(r, l);
        if (!(parse_completion_request(dump(r.to_json()), l, kGeometry) == r)) __builtin_trap();
        break;
      }
      default: {
        const ScanRequest s = parse_scan_request(body, l, kGeometry);
        if (s.prompts.empty() || static_cast<int64_t>(s.prompts.size()) > l.max_scan_prompts)
          __builtin_trap();
        if (s.batch_size < 1 || s.batch_size > l.max_scan_batch) __builtin_trap();
        if (s.max_tokens < 0 || s.max_tokens > l.max_tokens) __builtin_trap();
        check_mote(s.mote);
        if (!(parse_scan_request(dump(s.to_json()), l, kGeometry) == s)) __builtin_trap();
      }
    }
  } catch (const InvalidRequest& e) {
    const RequestError answer = as_request_error(e);
    if (answer.status != 400 || answer.code != e.code) __builtin_trap();
    (void)error_body(answer);  // must not throw on any message
  }
  return 0;
}
