#pragma once
// mote-engine's subcommands. Each takes argv starting at the subcommand name and returns the
// process exit code; errors derived from mote::Error are reported by the dispatcher.

namespace mote {

int run_trace_command(int argc, char** argv);
int run_tokenize_command(int argc, char** argv);
int run_bench_command(int argc, char** argv);
int run_bench_batching_command(int argc, char** argv);
int run_serve_command(int argc, char** argv);
int run_train_organism_command(int argc, char** argv);

}  // namespace mote
