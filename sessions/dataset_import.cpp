#include "sessions/dataset_import.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sessions/csv_reader.h"
#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw SessionError("cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

Dataset empty_dataset(const ImportOptions& options) {
  Dataset dataset;
  dataset.name = options.name;
  dataset.mode = options.mode;
  dataset.system_prompt = options.system_prompt;
  return dataset;
}

}  // namespace

Dataset import_csv_text(const std::string& text, const std::string& column,
                        const ImportOptions& options, const std::string& source_name) {
  const auto rows = parse_csv(text, source_name);
  if (rows.empty()) throw SessionError(source_name + ": empty CSV (no header row)");
  const auto& header = rows.front();
  std::size_t prompt_column = header.size();
  std::string available;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c] == column) {
      if (prompt_column != header.size()) {
        throw SessionError(source_name + ": column \"" + column + "\" appears twice in the header");
      }
      prompt_column = c;
    }
    available += (c ? ", " : "") + ("\"" + header[c] + "\"");
  }
  if (prompt_column == header.size()) {
    throw SessionError(source_name + ": no column named \"" + column + "\" (columns: " + available +
                       ")");
  }
  Dataset dataset = empty_dataset(options);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    if (row.size() != header.size()) {
      throw SessionError(source_name + ": data row " + std::to_string(r) + " has " +
                         std::to_string(row.size()) + " fields, the header has " +
                         std::to_string(header.size()));
    }
    if (row[prompt_column].empty()) continue;
    Prompt prompt;
    prompt.text = row[prompt_column];
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c != prompt_column) prompt.metadata[header[c]] = row[c];
    }
    dataset.prompts.push_back(std::move(prompt));
  }
  if (dataset.prompts.empty())
    throw SessionError(source_name + ": no prompts in column \"" + column + "\"");
  return dataset;
}

Dataset import_csv_file(const std::filesystem::path& path, const std::string& column,
                        ImportOptions options) {
  if (options.name.empty()) options.name = path.stem().string();
  return import_csv_text(read_text_file(path), column, options, path.string());
}

Dataset import_jsonl_text(const std::string& text, const std::string& field,
                          const ImportOptions& options, const std::string& source_name) {
  Dataset dataset = empty_dataset(options);
  std::istringstream stream(text);
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(stream, line)) {
    ++line_number;
    if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = source_name + ":" + std::to_string(line_number);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw SessionError(where + ": invalid JSON: " + e.what());
    }
    if (!json.is_object()) throw SessionError(where + ": expected a JSON object per line");
    if (!json.contains(field)) throw SessionError(where + ": no field \"" + field + "\"");
    if (!json.at(field).is_string())
      throw SessionError(where + ": field \"" + field + "\" is not a string");
    Prompt prompt;
    prompt.text = json.at(field).get<std::string>();
    for (const auto& [key, value] : json.items()) {
      if (key == field) continue;
      if (value.is_string())
        prompt.metadata[key] = value.get<std::string>();
      else if (value.is_primitive() && !value.is_null())
        prompt.metadata[key] = value.dump();
    }
    dataset.prompts.push_back(std::move(prompt));
  }
  if (dataset.prompts.empty()) throw SessionError(source_name + ": no prompts");
  return dataset;
}

Dataset import_jsonl_file(const std::filesystem::path& path, const std::string& field,
                          ImportOptions options) {
  if (options.name.empty()) options.name = path.stem().string();
  return import_jsonl_text(read_text_file(path), field, options, path.string());
}

}  // namespace mote::sessions
