#include "sessions/cli/cli_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace mote::cli {

namespace {

// Decodes one UTF-8 code point at text[i] (advancing i); invalid bytes decode as U+FFFD.
char32_t next_code_point(const std::string& text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  int extra = 0;
  char32_t cp = 0;
  if (c < 0x80) {
    ++i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + extra >= text.size()) {  // truncated sequence
    i = text.size();
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  return cp;
}

int code_point_width(char32_t cp) {
  if (cp == 0) return 0;
  // Combining marks and zero-width characters.
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
      (cp >= 0xFE00 && cp <= 0xFE0F))
    return 0;
  // East Asian wide / full-width ranges.
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
      (cp >= 0x20000 && cp <= 0x3FFFD))
    return 2;
  return 1;
}

}  // namespace

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) width += code_point_width(next_code_point(text, i));
  return width;
}

std::string truncate_to_width(const std::string& text, std::size_t width) {
  if (display_width(text) <= width) return text;
  if (width == 0) return {};
  std::size_t used = 0, i = 0, cut = 0;
  while (i < text.size()) {
    const int w = code_point_width(next_code_point(text, i));
    if (used + w > width - 1) break;
    used += w;
    cut = i;
  }
  return text.substr(0, cut) + "…";
}

std::string single_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n')
      out += "⏎";
    else if (c == '\r' || c == '\t')
      out += ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      out += "·";
    else
      out += c;
  }
  return out;
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

Table Table::with_headers(const std::vector<std::string>& headers) {
  std::vector<Column> columns;
  for (const auto& h : headers) {
    if (!h.empty() && h[0] == '>')
      columns.push_back({h.substr(1), Align::kRight, 0});
    else
      columns.push_back({h, Align::kLeft, 0});
  }
  return Table(std::move(columns));
}

Table& Table::row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) {
    throw std::invalid_argument("table row with " + std::to_string(cells.size()) +
                                " cells, expected " + std::to_string(columns_.size()));
  }
  for (std::size_t c = 0; c < cells.size(); ++c) {
    cells[c] = single_line(cells[c]);
    if (columns_[c].max_width) cells[c] = truncate_to_width(cells[c], columns_[c].max_width);
  }
  rows_.push_back(std::move(cells));
  return *this;
}

std::string Table::render() const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = display_width(columns_[c].header);
    for (const auto& r : rows_) widths[c] = std::max(widths[c], display_width(r[c]));
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = widths[c] - display_width(cells[c]);
      if (c) text += "  ";
      if (columns_[c].align == Align::kRight) {
        text += std::string(pad, ' ') + cells[c];
      } else {
        text += cells[c];
        if (c + 1 < cells.size()) text += std::string(pad, ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  std::vector<std::string> header, rule;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    header.push_back(columns_[c].header);
    rule.push_back(std::string(widths[c], '-'));
  }
  line(header);
  line(rule);
  for (const auto& r : rows_) line(r);
  return out.str();
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  std::string s = out.str();
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.0"
  return s;
}

std::string percent(double fraction, int decimals) {
  return fixed(100.0 * fraction, decimals) + " %";
}

std::string ratio(std::size_t part, std::size_t whole) {
  return std::to_string(part) + "/" + std::to_string(whole) + " (" +
         percent(whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0) + ")";
}

std::string percent_interval(const sessions::ProportionInterval& ci) {
  return "[" + percent(ci.low) + ", " + percent(ci.high) + "]";
}

std::string general(double value, int significant) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.precision(significant);
  out << value;
  return out.str();
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<std::int64_t>(std::llround(seconds));
  char buffer[32];
  if (total < 60) {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(total));
  } else if (total < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>((total % 3600) / 60));
  }
  return buffer;
}

std::string byte_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  return (u == 0 ? fixed(bytes, 0) : fixed(bytes, 1)) + " " + units[u];
}

}  // namespace mote::cli
