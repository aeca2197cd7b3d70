#include <exception>

#include "sessions/cli/commands.h"
#include "sessions/engine_client.h"
#include "sessions/session_error.h"

namespace mote::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"new", "create a session file", cmd_new},
      {"show", "summary of a session: datasets, runs, results", cmd_show},
      {"dataset", "add / list / show prompt datasets (built-in, template, CSV, JSONL)",
       cmd_dataset},
      {"run", "answer a dataset's prompts on an engine (resumable), with activation maps", cmd_run},
      {"runs", "table of runs: settings, status, answered/total", cmd_runs},
      {"answers", "a run's prompts, answers and labels", cmd_answers},
      {"label", "label a run's answers with rules, or set one label by hand", cmd_label},
      {"ftri", "fTRI: experts resonating with a class, with t, p, q and stability", cmd_ftri},
      {"eval", "original vs tuned run: transition matrix and flip rates", cmd_eval},
      {"control", "random-expert control: K draws of N experts, mean ± std and p", cmd_control},
      {"dose", "dose curve: flip rate when tuning the top 1, 2, 5, ... experts", cmd_dose},
      {"capability", "capability check: accuracy on known answers, original vs tuned",
       cmd_capability},
      {"tsne", "t-SNE of a run's activation maps, coloured by class", cmd_tsne},
      {"results", "table of stored results (fTRI, evaluations, controls, ...)", cmd_results},
      {"export", "write a run or a result as .npy / CSV / JSON files", cmd_export},
  };
  return list;
}

namespace {

void print_usage(std::ostream& out) {
  out << "usage: mote <command> SESSION [options]\n\n"
         "MoTE experiments on a session file (*.mote): datasets, runs against an engine,\n"
         "labels, fTRI, evaluation of tunings, random controls, dose curves, t-SNE, export.\n\n"
         "commands:\n";
  for (const auto& c : commands()) {
    const std::string name = c.name;
    out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\n'mote <command> --help' describes a command's options; the README has a worked\n"
         "example (the paper's refusal experiment).\n";
}

}  // namespace

int run_cli(const Args& args, CliContext& ctx) {
  if (args.empty()) {
    print_usage(ctx.err);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(ctx.out);
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const auto& c : commands()) {
    if (args[0] == c.name) command = &c;
  }
  if (!command) {
    ctx.err << "mote: unknown command '" << args[0] << "' (see 'mote --help')\n";
    return kExitUsage;
  }
  const Args rest(args.begin() + 1, args.end());
  const std::string prefix = std::string("mote ") + command->name + ": ";
  try {
    return command->run(rest, ctx);
  } catch (const HelpRequested& help) {
    ctx.out << help.text;
    return kExitOk;
  } catch (const UsageError& e) {
    ctx.err << "mote: " << e.what() << "\n";
    return kExitUsage;
  } catch (const Interrupted& e) {
    ctx.err << prefix << e.what() << "\n";
    return kExitInterrupted;
  } catch (const sessions::EngineError& e) {
    ctx.err << prefix << "engine error: " << e.what() << "\n";
    return kExitError;
  } catch (const std::exception& e) {
    ctx.err << prefix << "error: " << e.what() << "\n";
    return kExitError;
  } catch (...) {
    ctx.err << prefix << "error: unknown exception\n";
    return kExitError;
  }
}

}  // namespace mote::cli
