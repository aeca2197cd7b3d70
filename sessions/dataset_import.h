#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "sessions/dataset.h"

namespace mote::sessions {

struct ImportOptions {
  std::string name;  // dataset name; defaults to the file stem
  PromptMode mode = PromptMode::kChat;
  std::optional<std::string> system_prompt;
};

// CSV with a header row; the prompt is the column named `column` (e.g. promptfoo's "prompt"),
// every other column goes into the prompt's metadata. Rows whose prompt cell is empty are
// skipped; a row with a different number of fields than the header is an error naming the row.
Dataset import_csv_text(const std::string& text, const std::string& column,
                        const ImportOptions& options, const std::string& source_name);
Dataset import_csv_file(const std::filesystem::path& path, const std::string& column,
                        ImportOptions options);

// JSON Lines: one object per line, the prompt is the string field `field`; other scalar fields
// go into metadata; blank lines are skipped.
Dataset import_jsonl_text(const std::string& text, const std::string& field,
                          const ImportOptions& options, const std::string& source_name);
Dataset import_jsonl_file(const std::filesystem::path& path, const std::string& field,
                          ImportOptions options);

}  // namespace mote::sessions
