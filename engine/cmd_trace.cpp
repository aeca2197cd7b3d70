// TEMPORARY during bring-up: replaced by the real command before landing.
#include "engine/commands.h"
#include "engine/error.h"
namespace mote {
int run_trace_command(int, char**) { throw Error("trace: not built yet"); }
}  // namespace mote
