// mote dataset add | list | show: the prompts of an experiment.
#include <fstream>
#include <set>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/dataset_import.h"
#include "sessions/resources.h"
#include "sessions/session_error.h"
#include "sessions/template_values.h"

namespace mote::cli {

using namespace mote::sessions;

namespace {

// "--values time=1989,2000" (sessions::template_variable, the workbench form's reading) or
// "--values place=@places.txt" (one value per line).
TemplateVariable parse_values(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("mote dataset add: --values expects NAME=a,b,c or NAME=@FILE, got '" + spec +
                     "'");
  const std::string name = spec.substr(0, eq);
  const std::string list = spec.substr(eq + 1);
  if (list.empty() || list[0] != '@') {
    try {
      return template_variable(name, list);
    } catch (const SessionError& e) {
      throw UsageError("mote dataset add: --values " + spec + ": " + e.what());
    }
  }
  TemplateVariable variable;
  variable.name = name;
  const std::string file = list.substr(1);
  std::ifstream in(file);
  if (!in) throw SessionError("cannot read values file " + file + " (--values " + spec + ")");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) variable.values.push_back({line, line});
  }
  if (variable.values.empty())
    throw UsageError("mote dataset add: --values " + variable.name + " has no values");
  return variable;
}

int dataset_add(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote dataset add",
      "Add a dataset of prompts to a session. Exactly one source: a built-in dataset, a dataset "
      "JSON file, a template with values (Cartesian product, first variable slowest), a CSV "
      "column or a JSONL field.",
      "Placeholders are {name}; a value containing a comma is written '\\,'. CSV/JSONL rows keep "
      "their other columns/fields as prompt metadata (shown in exports and t-SNE CSVs).\n"
      "Chat datasets are wrapped in the model's chat template (with --system as system prompt);\n"
      "--raw sends the text as is.");
  parser.positional("SESSION", "session file")
      .option("--builtin", "NAME", "a built-in dataset (resources/datasets): r1-refusal, ...")
      .option("--file", "F.json", "a dataset JSON file (templates and/or prompts)")
      .option("--template", "TEXT", "a prompt template, e.g. \"What happened {time} {place}?\"")
      .repeated("--values", "NAME=a,b,c", "values of a template variable (or NAME=@FILE)")
      .option("--csv", "F.csv", "import the prompts of a CSV file (with header row)")
      .option("--column", "NAME", "the CSV column holding the prompt", "prompt")
      .option("--jsonl", "F.jsonl", "import the prompts of a JSON Lines file")
      .option("--field", "NAME", "the JSONL field holding the prompt", "prompt")
      .option("--name", "NAME", "dataset name (default: the built-in's / file's name)")
      .option("--description", "TEXT", "free text stored with the dataset")
      .option("--system", "TEXT", "system prompt for every prompt (chat mode)")
      .flag("--raw", "send prompts as raw text, without the chat template")
      .example("mote dataset add refusal.mote --builtin r1-refusal")
      .example(
          "mote dataset add s.mote --name years --template \"What happened {time} {place}?\" "
          "--values time=1989,2000 --values \"place=in Beijing,in Paris\"")
      .example("mote dataset add s.mote --csv promptfoo.csv --column prompt --name promptfoo");
  const auto a = parser.parse(args);
  int sources = 0;
  for (const char* s : {"--builtin", "--file", "--template", "--csv", "--jsonl"})
    sources += a.has(s);
  if (sources != 1) {
    throw UsageError(
        "mote dataset add: give exactly one of --builtin, --file, --template, --csv, --jsonl (see "
        "'mote dataset add --help')");
  }
  if (a.has("--values") && !a.has("--template"))
    throw UsageError("mote dataset add: --values belongs to --template");
  SessionStore store = open_session(a.positional("SESSION"));

  Dataset dataset;
  ImportOptions import;
  import.name = a.get_or("--name", "");
  import.mode = a.flag("--raw") ? PromptMode::kRaw : PromptMode::kChat;
  import.system_prompt = a.get("--system");
  if (auto name = a.get("--builtin")) {
    dataset = load_dataset_file(builtin_dataset_path(*name));
  } else if (auto file = a.get("--file")) {
    dataset = load_dataset_file(*file);
  } else if (auto text = a.get("--template")) {
    PromptTemplate t;
    t.text = *text;
    std::set<std::string> seen;
    for (const auto& spec : a.all("--values")) {
      t.variables.push_back(parse_values(spec));
      if (!seen.insert(t.variables.back().name).second)
        throw UsageError("mote dataset add: --values " + t.variables.back().name + " given twice");
    }
    dataset.name = "template";
    dataset.prompts = expand_template(t);
    dataset.description = "template: " + t.text;
  } else if (auto csv = a.get("--csv")) {
    dataset = import_csv_file(*csv, a.get_or("--column", "prompt"), import);
  } else if (auto jsonl = a.get("--jsonl")) {
    dataset = import_jsonl_file(*jsonl, a.get_or("--field", "prompt"), import);
  }
  if (!import.name.empty()) dataset.name = import.name;
  if (auto d = a.get("--description")) dataset.description = *d;
  if (a.flag("--raw")) dataset.mode = PromptMode::kRaw;
  if (import.system_prompt) dataset.system_prompt = import.system_prompt;
  if (dataset.mode == PromptMode::kRaw && dataset.system_prompt)
    throw UsageError("mote dataset add: --system needs chat mode (drop --raw)");
  if (dataset.prompts.empty()) throw SessionError("the dataset has no prompts");

  const std::int64_t id = store.add_dataset(dataset);
  ctx.out << "added dataset " << id << " '" << dataset.name << "': " << dataset.prompts.size()
          << " prompts (" << to_string(dataset.mode)
          << (dataset.system_prompt ? ", with system prompt" : "") << ")\n";
  Table table({{"#", Align::kRight}, {"prompt", Align::kLeft, 70}});
  const std::size_t n = dataset.prompts.size();
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 3); ++i)
    table.row({std::to_string(i), dataset.prompts[i].text});
  if (n > 4) table.row({"…", "…"});
  if (n > 3) table.row({std::to_string(n - 1), dataset.prompts[n - 1].text});
  ctx.out << table.render();
  return kExitOk;
}

int dataset_list(const Args& args, CliContext& ctx) {
  ArgParser parser("mote dataset list", "Table of a session's datasets.");
  parser.positional("SESSION", "session file");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  Table table({{"id", Align::kRight},
               {"name", Align::kLeft, 30},
               {"mode", Align::kLeft},
               {"prompts", Align::kRight},
               {"system prompt", Align::kLeft, 30},
               {"description", Align::kLeft, 60}});
  for (const auto& d : store.list_datasets()) {
    table.row({std::to_string(d.id), d.name, to_string(d.mode), std::to_string(d.n_prompts),
               d.system_prompt.value_or(""), d.description});
  }
  ctx.out << (table.rows() ? table.render() : "(no datasets: 'mote dataset add')\n");
  return kExitOk;
}

int dataset_show(const Args& args, CliContext& ctx) {
  ArgParser parser("mote dataset show", "The prompts of a dataset with their metadata.");
  parser.positional("SESSION", "session file")
      .required("--dataset", "ID|NAME", "the dataset")
      .option("--limit", "N", "show at most N prompts (0 = all)", "20")
      .option("--offset", "N", "skip the first N prompts", "0");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  const DatasetInfo d = find_dataset(store, *a.get("--dataset"));
  const auto prompts = store.prompts(d.id);
  std::set<std::string> keys;
  for (const auto& p : prompts)
    for (const auto& [k, v] : p.prompt.metadata) keys.insert(k);
  std::vector<Table::Column> columns{
      {"#", Align::kRight}, {"prompt id", Align::kRight}, {"prompt", Align::kLeft, 60}};
  for (const auto& k : keys) columns.push_back({k, Align::kLeft, 20});
  Table table(columns);
  const std::size_t offset = a.get_count_or("--offset", 0);
  const std::size_t limit = a.get_count_or("--limit", 20);
  std::size_t shown = 0;
  for (std::size_t i = offset; i < prompts.size() && (limit == 0 || shown < limit); ++i, ++shown) {
    std::vector<std::string> row{std::to_string(prompts[i].position), std::to_string(prompts[i].id),
                                 prompts[i].prompt.text};
    for (const auto& k : keys) {
      auto it = prompts[i].prompt.metadata.find(k);
      row.push_back(it == prompts[i].prompt.metadata.end() ? "" : it->second);
    }
    table.row(row);
  }
  ctx.out << "dataset " << d.id << " '" << d.name << "': " << d.n_prompts << " prompts ("
          << to_string(d.mode) << ")";
  if (d.system_prompt) ctx.out << ", system prompt: " << single_line(*d.system_prompt);
  ctx.out << "\n" << table.render();
  if (offset + shown < prompts.size())
    ctx.out << "(" << prompts.size() - offset - shown << " more; --limit 0 shows all)\n";
  return kExitOk;
}

}  // namespace

int cmd_dataset(const Args& args, CliContext& ctx) {
  const std::string usage =
      "usage: mote dataset add|list|show SESSION [options]\n\n"
      "  add    add a dataset (built-in, JSON file, template, CSV, JSONL)\n"
      "  list   table of the session's datasets\n"
      "  show   a dataset's prompts and metadata\n\n"
      "'mote dataset <subcommand> --help' describes its options.\n";
  if (args.empty()) throw UsageError("mote dataset: missing subcommand (add, list or show)");
  if (args[0] == "--help" || args[0] == "-h") throw HelpRequested{usage};
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "add") return dataset_add(rest, ctx);
  if (args[0] == "list") return dataset_list(rest, ctx);
  if (args[0] == "show") return dataset_show(rest, ctx);
  throw UsageError("mote dataset: unknown subcommand '" + args[0] + "' (add, list or show)");
}

}  // namespace mote::cli
