#pragma once
// Declarative command-line parsing for the subcommands of both `mote` and `mote-engine`: each
// command declares its positionals, options and flags once; parse() checks them and --help is
// generated from the same declarations. Accepts "--opt value" and "--opt=value"; "--" ends option
// parsing. Standard library only, so the torch-free client and the engine share it.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/error.h"

namespace mote::cli {

// A bad command line (unknown option, missing value, malformed number): exit code 2.
using mote::UsageError;

// Thrown by parse() for --help / -h after the help text was produced: exit code 0.
struct HelpRequested {
  std::string text;
};

class ParsedArgs;

class ArgParser {
 public:
  // `command` e.g. "mote ftri"; `summary` one line; `details` free text printed after the options.
  ArgParser(std::string command, std::string summary, std::string details = {});

  ArgParser& positional(const std::string& name, const std::string& help);
  // An option taking a value. `metavar` is shown in the usage ("--top N").
  ArgParser& option(const std::string& name, const std::string& metavar, const std::string& help,
                    std::optional<std::string> default_value = std::nullopt, bool required = false);
  ArgParser& required(const std::string& name, const std::string& metavar,
                      const std::string& help) {
    return option(name, metavar, help, std::nullopt, true);
  }
  // An option that may be given several times (values kept in order).
  ArgParser& repeated(const std::string& name, const std::string& metavar, const std::string& help);
  ArgParser& flag(const std::string& name, const std::string& help);
  // A line of the "examples" section of --help.
  ArgParser& example(const std::string& line);

  ParsedArgs parse(const std::vector<std::string>& args) const;
  std::string help() const;
  const std::string& command() const { return command_; }

 private:
  struct Spec {
    std::string name, metavar, help;
    std::optional<std::string> default_value;
    bool required = false, repeated = false, is_flag = false;
  };
  const Spec* find(const std::string& name) const;

  std::string command_, summary_, details_;
  std::vector<std::pair<std::string, std::string>> positionals_;
  std::vector<Spec> options_;
  std::vector<std::string> examples_;
};

class ParsedArgs {
 public:
  // Positional by declared name.
  const std::string& positional(const std::string& name) const;
  bool has(const std::string& name) const;  // given on the command line (or has a default)
  bool flag(const std::string& name) const { return has(name); }
  std::optional<std::string> get(const std::string& name) const;
  // The value of an option that is required or has a default; UsageError naming it otherwise.
  std::string value(const std::string& name) const;
  std::int64_t int_value(const std::string& name) const;
  double double_value(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& name) const;
  // Typed access; a malformed value is a UsageError naming the option.
  std::optional<std::int64_t> get_int(const std::string& name) const;
  std::int64_t get_int_or(const std::string& name, std::int64_t fallback) const;
  std::optional<double> get_double(const std::string& name) const;
  double get_double_or(const std::string& name, double fallback) const;
  // Non-negative integer (counts, sizes).
  std::size_t get_count_or(const std::string& name, std::size_t fallback) const;
  std::optional<std::uint64_t> get_u64(const std::string& name) const;
  // "1,2,5,10" -> {1, 2, 5, 10}.
  std::optional<std::vector<std::size_t>> get_count_list(const std::string& name) const;

 private:
  friend class ArgParser;
  std::map<std::string, std::string> positionals_;
  std::map<std::string, std::vector<std::string>> values_;
  std::string command_;
};

// Number parsing shared with other CLI code: whole string must be consumed.
std::int64_t parse_int(const std::string& text, const std::string& what);
double parse_double(const std::string& text, const std::string& what);
// Splits at `separator`; a backslash escapes the separator or a backslash.
std::vector<std::string> split_escaped(const std::string& text, char separator);

}  // namespace mote::cli
