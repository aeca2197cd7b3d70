// mote-engine tokenize: the tokenizer's checking and scripting interface. JSON lines in, JSON
// lines out, one output line per input line so outputs can be pasted next to inputs:
//   default   {"text": "..."}                                   -> {"ids": [...]}   (no BOS added)
//   --decode  {"ids": [...]}                                    -> {"text": "..."}
//   --chat    {"messages": [...], "add_generation_prompt": b}   -> {"ids": [...]}
// A malformed line yields {"error": "line N: ..."} (also on stderr) and processing goes on; the
// exit code is then 1. --bench FILE times encoding alone, with the JSON parsing done beforehand.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "protocol/cli_args.h"

namespace mote {
namespace {

using json = nlohmann::json;

struct TokenizerFiles {
  std::filesystem::path tokenizer_json;
  std::filesystem::path tokenizer_config_json;
};

// --tokenizer names a directory holding tokenizer.json (and tokenizer_config.json), or the
// tokenizer.json file itself.
TokenizerFiles locate_files(const std::filesystem::path& given) {
  if (std::filesystem::is_directory(given)) {
    return {given / "tokenizer.json", given / "tokenizer_config.json"};
  }
  return {given, given.parent_path() / "tokenizer_config.json"};
}

std::string dump_line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

const json& require(const json& line, const char* key) {
  if (!line.is_object()) throw UsageError("expected a JSON object");
  const auto it = line.find(key);
  if (it == line.end()) throw UsageError(std::string("missing \"") + key + "\"");
  return *it;
}

json encode_line(const Tokenizer& tokenizer, const json& line) {
  const json& text = require(line, "text");
  if (!text.is_string()) throw UsageError("\"text\" is not a string");
  return json{{"ids", tokenizer.encode(text.get_ref<const std::string&>())}};
}

json decode_line(const Tokenizer& tokenizer, const json& line, bool skip_special_tokens) {
  const json& ids = require(line, "ids");
  if (!ids.is_array()) throw UsageError("\"ids\" is not an array");
  std::vector<int64_t> values;
  values.reserve(ids.size());
  for (const json& id : ids) {
    if (!id.is_number_integer()) throw UsageError("\"ids\" holds a non-integer: " + id.dump());
    values.push_back(id.get<int64_t>());
  }
  return json{{"text", tokenizer.decode(values, skip_special_tokens)}};
}

json chat_line(const Tokenizer& tokenizer, const ChatTemplate& chat_template, const json& line) {
  const json& messages = require(line, "messages");
  if (!messages.is_array()) throw UsageError("\"messages\" is not an array");
  std::vector<ChatMessage> parsed;
  for (const json& m : messages) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string()) {
      throw UsageError("each message needs string \"role\" and \"content\": " +
                       m.dump().substr(0, 200));
    }
    parsed.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  bool add_generation_prompt = false;  // Hugging Face's default
  if (const auto it = line.find("add_generation_prompt"); it != line.end()) {
    if (!it->is_boolean()) throw UsageError("\"add_generation_prompt\" is not a boolean");
    add_generation_prompt = it->get<bool>();
  }
  return json{{"ids", tokenizer.encode(chat_template.render(parsed, add_generation_prompt))}};
}

int run_bench(const Tokenizer& tokenizer, const std::string& corpus_path) {
  std::ifstream in(corpus_path, std::ios::binary);
  if (!in) throw UsageError("cannot open bench corpus " + corpus_path);
  std::vector<std::string> texts;
  std::size_t bytes = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    texts.push_back(require(json::parse(line), "text").get<std::string>());
    bytes += texts.back().size();
  }
  std::size_t tokens = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& text : texts) tokens += tokenizer.encode(text).size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << dump_line(json{{"documents", texts.size()},
                              {"bytes", bytes},
                              {"tokens", tokens},
                              {"seconds", seconds},
                              {"mb_per_s", static_cast<double>(bytes) / 1e6 / seconds}});
  return 0;
}

}  // namespace

int run_tokenize_command(int argc, char** argv) {
  cli::ArgParser parser(
      "mote-engine tokenize",
      "Reads JSON lines on stdin and writes one JSON line per input line on stdout:\n"
      "  {\"text\": ...} -> {\"ids\": [...]} (no BOS added);\n"
      "  with --decode {\"ids\": [...]} -> {\"text\": ...};\n"
      "  with --chat {\"messages\": [{\"role\", \"content\"}...], \"add_generation_prompt\": b}\n"
      "  -> {\"ids\": [...]} of the rendered chat prompt.\n"
      "A malformed line gives {\"error\": \"line N: ...\"} and the exit code 1; blank lines\n"
      "are skipped.");
  parser.option("--tokenizer", "DIR", "directory with tokenizer.json (or the file itself)")
      .flag("--decode", "decode ids to text")
      .flag("--skip-special-tokens", "with --decode: leave out special tokens")
      .flag("--chat", "render chat messages with the template, then encode")
      .option("--template", "NAME",
              "chat template instead of the one recognized in tokenizer_config.json: "
              "deepseek-r1, deepseek-r1-early, deepseek-v3, deepseek-v2")
      .option("--bench", "CORPUS.jsonl",
              "time encoding the corpus's {\"text\"} lines (parsed beforehand) and print MB/s");
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));
  if (args.flag("--decode") && args.flag("--chat")) {
    throw UsageError("tokenize: --decode and --chat exclude each other");
  }
  const TokenizerFiles files = locate_files(args.value("--tokenizer"));
  const auto tokenizer = Tokenizer::from_file(files.tokenizer_json);
  if (auto corpus = args.get("--bench")) return run_bench(*tokenizer, *corpus);

  std::optional<ChatTemplate> chat_template;
  if (args.flag("--chat")) {
    chat_template =
        ChatTemplate::from_tokenizer_config(files.tokenizer_config_json, args.get("--template"));
  } else if (args.has("--template")) {
    throw UsageError("tokenize: --template only applies with --chat");
  }
  const bool decode = args.flag("--decode");
  const bool skip_special = args.flag("--skip-special-tokens");

  std::ios::sync_with_stdio(false);
  std::string line;
  std::size_t line_number = 0;
  bool any_error = false;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string output;
    try {
      const json input = json::parse(line);
      const json result = decode          ? decode_line(*tokenizer, input, skip_special)
                          : chat_template ? chat_line(*tokenizer, *chat_template, input)
                                          : encode_line(*tokenizer, input);
      output = dump_line(result);
    } catch (const std::exception& e) {
      // json::parse_error, a bad field, or text the tokenizer rejects: report, keep going.
      any_error = true;
      const std::string message = "line " + std::to_string(line_number) + ": " + e.what();
      std::cerr << "mote-engine tokenize: " << message << "\n";
      output = dump_line(json{{"error", message}});
    }
    std::cout << output;
  }
  std::cout.flush();
  return any_error ? 1 : 0;
}

}  // namespace mote
