#pragma once
// Aligned plain-text tables for the CLI's summaries. Column widths are measured in terminal
// cells (UTF-8 aware: CJK and full-width characters count two), long cells are cut with "…".
#include <cstddef>
#include <string>
#include <vector>

#include "sessions/proportion_statistics.h"

namespace mote::cli {

enum class Align { kLeft, kRight };

class Table {
 public:
  struct Column {
    std::string header;
    Align align = Align::kLeft;
    std::size_t max_width = 0;  // 0 = unlimited
  };

  explicit Table(std::vector<Column> columns);
  // Convenience: left-aligned columns named by `headers`; columns whose header starts with '>'
  // are right-aligned (the '>' is dropped).
  static Table with_headers(const std::vector<std::string>& headers);

  Table& row(std::vector<std::string> cells);  // throws std::invalid_argument on a wrong count
  std::size_t rows() const { return rows_.size(); }
  // Header, a rule of '-', the rows; two spaces between columns; no trailing spaces.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Terminal cells taken by a UTF-8 string (ASCII 1, East Asian wide 2, combining marks 0).
std::size_t display_width(const std::string& text);
// Cuts `text` to at most `width` cells, ending with "…" if anything was cut.
std::string truncate_to_width(const std::string& text, std::size_t width);
// One line for a table cell: newlines, tabs and other control characters shown as "⏎", " ", "·".
std::string single_line(const std::string& text);

// Number formatting shared by the commands.
std::string fixed(double value, int decimals);
std::string percent(double fraction, int decimals = 1);                // 0.4 -> "40.0 %"
std::string ratio(std::size_t part, std::size_t whole);                // "12/30 (40.0 %)"
std::string percent_interval(const sessions::ProportionInterval& ci);  // "[12.1 %, 20.3 %]"
std::string general(double value, int significant = 4);                // 1.234e-05, 0.1234, inf
std::string duration(double seconds);                                  // "45s", "3m07s", "1h02m"
std::string byte_size(double bytes);                                   // "9.9 MB"

}  // namespace mote::cli
