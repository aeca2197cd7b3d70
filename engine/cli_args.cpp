#include "engine/cli_args.h"

#include <iostream>
#include <sstream>

#include "engine/error.h"

namespace mote {

CliArgs::CliArgs(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

CliArgs& CliArgs::option(const std::string& name, const std::string& value_name,
                         const std::string& help, std::optional<std::string> default_value) {
  order_.push_back(name);
  specs_[name] = Spec{value_name, help, std::move(default_value)};
  return *this;
}

CliArgs& CliArgs::flag(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = Spec{"", help, std::nullopt};
  return *this;
}

bool CliArgs::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help();
      return false;
    }
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto it = specs_.find(arg);
    if (it == specs_.end())
      throw UsageError(command_ + ": unknown argument '" + arg + "' (see --help)");
    if (it->second.value_name.empty()) {
      if (inline_value) throw UsageError(command_ + ": " + arg + " takes no value");
      values_[arg] = "1";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) throw UsageError(command_ + ": " + arg + " needs a value");
      value = argv[++i];
    }
    values_[arg] = value;
  }
  return true;
}

bool CliArgs::has(const std::string& name) const {
  if (values_.count(name)) return true;
  auto it = specs_.find(name);
  return it != specs_.end() && it->second.default_value.has_value();
}

std::optional<std::string> CliArgs::get_optional(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (auto it = specs_.find(name); it != specs_.end()) return it->second.default_value;
  return std::nullopt;
}

std::string CliArgs::get(const std::string& name) const {
  auto value = get_optional(name);
  if (!value) throw UsageError(command_ + ": missing required " + name + " (see --help)");
  return *value;
}

int CliArgs::get_int(const std::string& name) const {
  std::string text = get(name);
  try {
    size_t used = 0;
    int v = std::stoi(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw UsageError(command_ + ": " + name + " expects an integer, got '" + text + "'");
  }
}

double CliArgs::get_double(const std::string& name) const {
  std::string text = get(name);
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw UsageError(command_ + ": " + name + " expects a number, got '" + text + "'");
  }
}

bool CliArgs::get_flag(const std::string& name) const {
  return values_.count(name) > 0;
}

std::string CliArgs::help() const {
  std::ostringstream out;
  out << "usage: mote-engine " << command_ << " [options]\n\n" << summary_ << "\n\noptions:\n";
  for (const auto& name : order_) {
    const Spec& spec = specs_.at(name);
    std::string lhs = "  " + name + (spec.value_name.empty() ? "" : " " + spec.value_name);
    out << lhs;
    if (lhs.size() < 28)
      out << std::string(28 - lhs.size(), ' ');
    else
      out << "\n" << std::string(28, ' ');
    out << spec.help;
    if (spec.default_value) out << " (default: " << *spec.default_value << ")";
    out << "\n";
  }
  out << "  --help                    show this help\n";
  return out.str();
}

}  // namespace mote
