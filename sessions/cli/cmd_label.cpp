// mote label / answers: classify a run's answers and look at them.
#include <algorithm>
#include <map>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"

namespace mote::cli {

using namespace mote::sessions;

int cmd_label(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote label",
      "Label a run's answers with a rule set (first matching rule wins) and print the class "
      "counts; or set / clear one answer's label by hand (manual labels win over rules).",
      "CLASSIFIER is a rule file (JSON, see resources/classifiers/), a classifier already stored "
      "in the session, or a built-in: r1-refusal (0-REFUSED, 1-ALIGNED, 2-REASONED), "
      "reasoning-language (ZH, EN, NO-THINK).");
  parser.positional("SESSION", "session file")
      .required("--run", "ID|NAME", "the run")
      .required("--classifier", "CLASSIFIER", "rule file, stored or built-in classifier")
      .option("--prompt", "PROMPT_ID", "with --set / --clear: the answer's prompt id")
      .option("--set", "LABEL", "set this answer's label by hand")
      .option("--note", "TEXT", "with --set: a note stored with the manual label")
      .flag("--clear", "remove this answer's manual label (the rule label applies again)")
      .example("mote label refusal.mote --run original --classifier r1-refusal")
      .example(
          "mote label refusal.mote --run original --classifier r1-refusal --prompt 17 --set "
          "1-ALIGNED --note \"refusal after a fact\"");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  const RunInfo run = find_run(store, *a.get("--run"));
  const std::string argument = *a.get("--classifier");
  const bool manual = a.has("--set") || a.flag("--clear");
  if (manual != a.has("--prompt"))
    throw UsageError("mote label: --prompt goes with --set or --clear (and needs one of them)");
  if (a.has("--set") && a.flag("--clear"))
    throw UsageError("mote label: --set and --clear exclude each other");
  if (a.has("--note") && !a.has("--set")) throw UsageError("mote label: --note goes with --set");

  if (manual) {
    const std::int64_t prompt_id = parse_int(*a.get("--prompt"), "mote label --prompt");
    const std::string name = classifier_name(argument);
    const auto labels = store.labels(run.id, name);
    auto it = std::find_if(labels.begin(), labels.end(),
                           [&](const EffectiveLabel& l) { return l.prompt_id == prompt_id; });
    if (it == labels.end()) {
      throw SessionError("prompt " + std::to_string(prompt_id) + " has no answer in " +
                         describe_run(run) + " (see 'mote answers')");
    }
    if (a.flag("--clear")) {
      if (!it->manual)
        throw SessionError("prompt " + std::to_string(prompt_id) + " has no manual " + name +
                           " label in " + describe_run(run));
      store.clear_manual_label(run.id, prompt_id, name);
      ctx.out << "cleared the manual " << name << " label of prompt " << prompt_id << " in "
              << describe_run(run) << "; its label is now "
              << (it->rule_label.empty() ? "(none)" : it->rule_label) << " (rules)\n";
      return kExitOk;
    }
    const std::string label = *a.get("--set");
    try {
      const auto resolved = resolve_classifier(store, argument);
      const auto& known = resolved.classifier.labels();
      if (std::find(known.begin(), known.end(), label) == known.end()) {
        std::string list;
        for (const auto& l : known) list += (list.empty() ? "" : ", ") + l;
        ctx.err << "note: \"" << label << "\" is not one of " << name << "'s labels (" << list
                << ")\n";
      }
    } catch (const SessionError&) {
      // A manual-only classifier name: any label goes.
    }
    store.set_manual_label(run.id, prompt_id, name, label, a.get_or("--note", ""));
    ctx.out << "prompt " << prompt_id << " in " << describe_run(run) << ": " << name << " label "
            << label << " (by hand; rules said "
            << (it->rule_label.empty() ? "(none)" : it->rule_label) << ")\n";
    return kExitOk;
  }

  auto resolved = resolve_classifier(store, argument);
  const std::size_t answered = store.answer_count(run.id);
  if (answered == 0) throw SessionError(describe_run(run) + " has no answers yet (mote run)");
  const std::size_t unmatched = classify_run(store, run.id, resolved.classifier);
  ctx.out << "labelled " << answered << " answers of " << describe_run(run) << " with "
          << resolved.classifier.name() << " (" << resolved.origin << ")\n";
  ctx.out << class_count_table(store, run.id, resolved.classifier.name(),
                               resolved.classifier.labels());
  if (unmatched)
    ctx.out << unmatched << " answers matched no rule (no label; excluded from fTRI)\n";
  return kExitOk;
}

int cmd_answers(const Args& args, CliContext& ctx) {
  ArgParser parser("mote answers",
                   "A run's prompts with their answers and labels, one line each (or in full).");
  parser.positional("SESSION", "session file")
      .required("--run", "ID|NAME", "the run")
      .option("--classifier", "CLASSIFIER", "show the labels of this classifier")
      .option("--label", "LABEL", "only answers with this label (needs --classifier)")
      .option("--limit", "N", "show at most N answers (0 = all)", "20")
      .option("--offset", "N", "skip the first N (after filtering)", "0")
      .flag("--full", "print whole prompts and answers instead of a table")
      .example(
          "mote answers refusal.mote --run original --classifier r1-refusal --label 0-REFUSED");
  const auto a = parser.parse(args);
  if (a.has("--label") && !a.has("--classifier"))
    throw UsageError("mote answers: --label needs --classifier");
  SessionStore store = open_session(a.positional("SESSION"));
  const RunInfo run = find_run(store, *a.get("--run"));
  std::map<std::int64_t, StoredPrompt> prompts;
  for (auto& p : store.prompts(run.config.dataset_id)) prompts[p.id] = std::move(p);
  std::map<std::int64_t, EffectiveLabel> labels;
  std::string name;
  if (auto c = a.get("--classifier")) {
    name = classifier_name(*c);
    for (auto& l : store.labels(run.id, name)) labels[l.prompt_id] = l;
  }
  const auto filter = a.get("--label");
  const std::size_t offset = a.get_count_or("--offset", 0);
  const std::size_t limit = a.get_count_or("--limit", 20);
  std::vector<Table::Column> columns{
      {"#", Align::kRight}, {"prompt id", Align::kRight}, {"prompt", Align::kLeft, 40}};
  if (!name.empty()) columns.push_back({name, Align::kLeft});
  columns.push_back({"tokens", Align::kRight});
  columns.push_back({"answer", Align::kLeft, 70});
  Table table(columns);
  std::size_t matched = 0, shown = 0;
  const auto answers = store.answers(run.id, false);
  for (const auto& ans : answers) {
    std::string label;
    if (!name.empty()) {
      auto it = labels.find(ans.prompt_id);
      if (it != labels.end()) label = it->second.label + (it->second.manual ? " (manual)" : "");
      const std::string plain = it == labels.end() ? "" : it->second.label;
      if (filter && plain != *filter) continue;
    }
    if (matched++ < offset) continue;
    if (limit && shown >= limit) continue;
    ++shown;
    const auto& p = prompts.at(ans.prompt_id);
    if (a.flag("--full")) {
      ctx.out << "--- #" << p.position << " (prompt id " << ans.prompt_id << ")"
              << (label.empty() ? "" : ", " + name + ": " + label) << ", "
              << ans.answer.completion_tokens << " tokens, " << ans.answer.finish_reason << "\n"
              << "prompt: " << p.prompt.text << "\nanswer: " << ans.answer.text << "\n";
      continue;
    }
    std::vector<std::string> row{std::to_string(p.position), std::to_string(ans.prompt_id),
                                 p.prompt.text};
    if (!name.empty()) row.push_back(label.empty() ? "(none)" : label);
    row.push_back(std::to_string(ans.answer.completion_tokens));
    row.push_back(ans.answer.text);
    table.row(row);
  }
  if (!a.flag("--full")) ctx.out << table.render();
  ctx.out << shown << " of " << matched << (filter ? " matching" : "") << " answers shown ("
          << describe_run(run) << ": " << answers.size() << " answers)\n";
  return kExitOk;
}

}  // namespace mote::cli
