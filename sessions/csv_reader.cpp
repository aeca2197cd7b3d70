#include "sessions/csv_reader.h"

#include "sessions/session_error.h"

namespace mote::sessions {

std::vector<std::vector<std::string>> parse_csv(std::string_view text,
                                                const std::string& source_name) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  std::size_t line = 1, column = 1;
  std::size_t quote_line = 0, quote_column = 0;
  auto where = [&](std::size_t l, std::size_t c) {
    return source_name + ":" + std::to_string(l) + ":" + std::to_string(c);
  };
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  auto end_row = [&] {
    end_field();
    rows.push_back(std::move(row));
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i, ++column) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
          ++column;
        } else {
          in_quotes = false;
        }
      } else {
        field.push_back(c);
        if (c == '\n') {
          ++line;
          column = 0;
        }
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || field_was_quoted) {
        throw SessionError(
            where(line, column) +
            ": quote inside an unquoted field (RFC 4180 needs the whole field quoted)");
      }
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
      quote_column = column;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the '\n' ends the row
    } else if (c == '\n') {
      end_row();
      ++line;
      column = 0;
    } else {
      if (field_was_quoted) {
        throw SessionError(where(line, column) + ": text after the closing quote of a field");
      }
      field.push_back(c);
    }
  }
  if (in_quotes) {
    throw SessionError(where(quote_line, quote_column) + ": quoted field never closed");
  }
  if (!field.empty() || field_was_quoted || !row.empty()) end_row();
  return rows;
}

}  // namespace mote::sessions
