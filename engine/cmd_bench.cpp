// TEMPORARY during bring-up: replaced by the real command before landing.
#include "engine/commands.h"
#include "engine/error.h"
namespace mote {
int run_bench_command(int, char**) { throw Error("bench: not built yet"); }
}  // namespace mote
