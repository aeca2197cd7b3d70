#include "protocol/cli_args.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace mote::cli {

ArgParser::ArgParser(std::string command, std::string summary, std::string details)
    : command_(std::move(command)), summary_(std::move(summary)), details_(std::move(details)) {}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help) {
  positionals_.emplace_back(name, help);
  return *this;
}

ArgParser& ArgParser::option(const std::string& name, const std::string& metavar,
                             const std::string& help, std::optional<std::string> default_value,
                             bool required) {
  Spec s;
  s.name = name;
  s.metavar = metavar;
  s.help = help;
  s.default_value = std::move(default_value);
  s.required = required;
  options_.push_back(std::move(s));
  return *this;
}

ArgParser& ArgParser::repeated(const std::string& name, const std::string& metavar,
                               const std::string& help) {
  Spec s;
  s.name = name;
  s.metavar = metavar;
  s.help = help;
  s.repeated = true;
  options_.push_back(std::move(s));
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  Spec s;
  s.name = name;
  s.help = help;
  s.is_flag = true;
  options_.push_back(std::move(s));
  return *this;
}

ArgParser& ArgParser::example(const std::string& line) {
  examples_.push_back(line);
  return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
  for (const auto& s : options_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: " << command_;
  for (const auto& [name, help] : positionals_) out << ' ' << name;
  bool any_optional = false;
  for (const auto& s : options_) {
    if (s.required)
      out << ' ' << s.name << ' ' << s.metavar;
    else
      any_optional = true;
  }
  if (any_optional) out << " [options]";
  out << "\n\n" << summary_ << "\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [name, help] : positionals_) rows.emplace_back(name, help);
  for (const auto& s : options_) {
    std::string left = s.name + (s.is_flag ? "" : " " + s.metavar);
    std::string right = s.help;
    if (s.required) right += " (required)";
    if (s.repeated) right += " (repeatable)";
    if (s.default_value && !s.default_value->empty())
      right += " [default: " + *s.default_value + "]";
    rows.emplace_back(left, right);
  }
  rows.emplace_back("--help", "show this help");
  std::size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  width = std::min<std::size_t>(width, 30);
  out << "\n";
  for (const auto& [left, right] : rows) {
    out << "  " << left;
    if (left.size() > width)
      out << "\n  " << std::string(width, ' ');
    else
      out << std::string(width - left.size(), ' ');
    out << "  " << right << "\n";
  }
  if (!details_.empty()) out << "\n" << details_ << (details_.back() == '\n' ? "" : "\n");
  if (!examples_.empty()) {
    out << "\nexamples:\n";
    for (const auto& e : examples_) out << "  " << e << "\n";
  }
  return out.str();
}

ParsedArgs ArgParser::parse(const std::vector<std::string>& args) const {
  ParsedArgs parsed;
  parsed.command_ = command_;
  std::size_t next_positional = 0;
  bool options_done = false;
  auto usage = [&](const std::string& message) {
    return UsageError(command_ + ": " + message + " (see '" + command_ + " --help')");
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!options_done && (arg == "--help" || arg == "-h")) throw HelpRequested{help()};
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg[0] == '-' &&
        !(arg.size() > 1 && (std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.'))) {
      std::string name = arg;
      std::optional<std::string> inline_value;
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
      const Spec* spec = find(name);
      if (!spec) throw usage("unknown option " + name);
      if (spec->is_flag) {
        if (inline_value) throw usage(name + " takes no value");
        parsed.values_[name].push_back("1");
        continue;
      }
      std::string value;
      if (inline_value) {
        value = *inline_value;
      } else {
        if (i + 1 >= args.size()) throw usage(name + " needs a value (" + spec->metavar + ")");
        value = args[++i];
      }
      auto& list = parsed.values_[name];
      if (!spec->repeated && !list.empty()) throw usage(name + " given twice");
      list.push_back(value);
      continue;
    }
    if (next_positional >= positionals_.size()) throw usage("unexpected argument '" + arg + "'");
    parsed.positionals_[positionals_[next_positional++].first] = arg;
  }
  if (next_positional < positionals_.size())
    throw usage("missing " + positionals_[next_positional].first);
  for (const auto& s : options_) {
    if (parsed.values_.count(s.name)) continue;
    if (s.required) throw usage("missing " + s.name + " " + s.metavar);
    if (s.default_value) parsed.values_[s.name].push_back(*s.default_value);
  }
  return parsed;
}

const std::string& ParsedArgs::positional(const std::string& name) const {
  auto it = positionals_.find(name);
  if (it == positionals_.end()) throw UsageError(command_ + ": missing " + name);
  return it->second;
}

bool ParsedArgs::has(const std::string& name) const {
  return values_.count(name) > 0;
}

std::optional<std::string> ParsedArgs::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::value(const std::string& name) const {
  if (auto v = get(name)) return *v;
  throw UsageError(command_ + ": missing " + name + " (see '" + command_ + " --help')");
}

std::int64_t ParsedArgs::int_value(const std::string& name) const {
  return parse_int(value(name), command_ + " " + name);
}

double ParsedArgs::double_value(const std::string& name) const {
  return parse_double(value(name), command_ + " " + name);
}

std::string ParsedArgs::get_or(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::int64_t parse_int(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError(what + ": expected an integer, got '" + text + "'");
  return v;
}

double parse_double(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw UsageError(what + ": expected a number, got '" + text + "'");
  return v;
}

std::optional<std::int64_t> ParsedArgs::get_int(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return parse_int(*v, command_ + " " + name);
}

std::int64_t ParsedArgs::get_int_or(const std::string& name, std::int64_t fallback) const {
  auto v = get_int(name);
  return v ? *v : fallback;
}

std::optional<double> ParsedArgs::get_double(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return parse_double(*v, command_ + " " + name);
}

double ParsedArgs::get_double_or(const std::string& name, double fallback) const {
  auto v = get_double(name);
  return v ? *v : fallback;
}

std::size_t ParsedArgs::get_count_or(const std::string& name, std::size_t fallback) const {
  auto v = get_int(name);
  if (!v) return fallback;
  if (*v < 0)
    throw UsageError(command_ + " " + name + ": must not be negative, got " + std::to_string(*v));
  return static_cast<std::size_t>(*v);
}

std::optional<std::uint64_t> ParsedArgs::get_u64(const std::string& name) const {
  auto v = get_int(name);
  if (!v) return std::nullopt;
  if (*v < 0)
    throw UsageError(command_ + " " + name + ": must not be negative, got " + std::to_string(*v));
  return static_cast<std::uint64_t>(*v);
}

std::optional<std::vector<std::size_t>> ParsedArgs::get_count_list(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  std::vector<std::size_t> list;
  for (const auto& part : split_escaped(*v, ',')) {
    const auto n = parse_int(part, command_ + " " + name);
    if (n <= 0) throw UsageError(command_ + " " + name + ": sizes must be positive, got " + part);
    list.push_back(static_cast<std::size_t>(n));
  }
  if (list.empty()) throw UsageError(command_ + " " + name + ": empty list");
  return list;
}

std::vector<std::string> split_escaped(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == separator || text[i + 1] == '\\')) {
      current += text[++i];
    } else if (c == separator) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

}  // namespace mote::cli
