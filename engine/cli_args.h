#pragma once
// A small command-line parser shared by mote-engine's subcommands: declared options produce the
// --help text, unknown options and missing values are UsageErrors.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mote {

class CliArgs {
 public:
  CliArgs(std::string command, std::string summary);

  // Declares an option taking a value ("--model DIR").
  CliArgs& option(const std::string& name, const std::string& value_name, const std::string& help,
                  std::optional<std::string> default_value = std::nullopt);
  // Declares a boolean flag ("--decode").
  CliArgs& flag(const std::string& name, const std::string& help);

  // Parses argv (argv[0] is the subcommand name). Returns false when --help was printed.
  bool parse(int argc, char** argv);

  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;  // UsageError when absent and no default
  std::optional<std::string> get_optional(const std::string& name) const;
  int get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_flag(const std::string& name) const;
  std::string help() const;

 private:
  struct Spec {
    std::string value_name;  // empty for flags
    std::string help;
    std::optional<std::string> default_value;
  };
  std::string command_, summary_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
};

}  // namespace mote
