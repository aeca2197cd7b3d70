#pragma once
// DeepSeek's chat prompt formats, rendered natively instead of through a Jinja engine: the
// templates of the known models are few and fixed, so each is recognized in
// tokenizer_config.json's "chat_template" by robust markers and reproduced exactly (including
// the tool-output blocks of V3/R1). The prompt carries the BOS as text; encode it without adding
// special tokens.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/chat_message.h"

namespace mote {

class ChatTemplate {
 public:
  enum class Kind {
    DeepSeekR1,       // R1 as revised: generation prompt "<｜Assistant｜><think>\n"
    DeepSeekR1Early,  // R1 as first released: generation prompt "<｜Assistant｜>"
    DeepSeekV3,
    DeepSeekV2,
  };

  // The template named by override_name if given, else the one recognized in the file's
  // "chat_template". ConfigError when the file is unreadable or its template is not a known one.
  static ChatTemplate from_tokenizer_config(const std::filesystem::path& tokenizer_config_json,
                                            const std::optional<std::string>& override_name = {});
  // By name: deepseek-r1, deepseek-r1-early, deepseek-v3, deepseek-v2 (UsageError otherwise).
  static ChatTemplate named(const std::string& name);
  // Which known template a Jinja chat_template string is, if any.
  static std::optional<Kind> recognize(const std::string& jinja_template);
  static std::vector<std::string> known_names();

  Kind kind() const { return kind_; }
  std::string name() const;

  // Hugging Face's apply_chat_template(messages, add_generation_prompt, tokenize=False).
  // UsageError for a role the template does not know.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  std::string bos_token() const { return bos_token_; }
  std::string eos_token() const { return eos_token_; }

 private:
  explicit ChatTemplate(Kind kind);
  Kind kind_;
  std::string bos_token_;
  std::string eos_token_;

  std::string render_v3_family(const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt) const;
  std::string render_v2(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
};

}  // namespace mote
