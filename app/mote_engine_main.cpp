// mote-engine: the libtorch inference engine's command-line entry point.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "protocol/cli_args.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

constexpr Command kCommands[] = {
    {"trace", "prefill (and greedy decode) token ids, write logits and routing as .npy",
     mote::run_trace_command},
    {"tokenize", "encode/decode text or chat messages with a tokenizer.json (JSON lines)",
     mote::run_tokenize_command},
    {"bench", "measure decode/prefill speed against this machine's memory bandwidth",
     mote::run_bench_command},
    {"bench-batching", "N concurrent requests with mixed tunings: batched vs one at a time",
     mote::run_bench_batching_command},
    {"serve", "serve a checkpoint over HTTP (OpenAI-compatible + /mote/v1/ routes)",
     mote::run_serve_command},
    {"train-organism", "train the demo model organism (tiny deepseek_v3, planted behaviours)",
     mote::run_train_organism_command},
};

void print_usage() {
  std::cout << "usage: mote-engine <command> [options]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    std::cout << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ')
              << c.summary << "\n";
  }
  std::cout << "\n'mote-engine <command> --help' describes a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const mote::cli::HelpRequested& help) {
      std::cout << help.text;
      return 0;
    } catch (const mote::UsageError& e) {
      std::cerr << "mote-engine: " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "mote-engine " << c.name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "mote-engine: unknown command '" << argv[1] << "'\n";
  print_usage();
  return 2;
}
