// TEMPORARY during bring-up: replaced by the real command before landing.
#include "engine/commands.h"
#include "engine/error.h"
namespace mote {
int run_tokenize_command(int, char**) { throw Error("tokenize: not built yet"); }
}  // namespace mote
