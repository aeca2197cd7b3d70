#pragma once
// tokenizer.json's "pre_tokenizer": a Sequence of Split steps (each applied to every piece the
// previous steps produced, so later regexes never see across earlier boundaries) ending in the
// ByteLevel step that makes the model byte-level. Any other pre-tokenizer type is a
// TokenizerError naming it.
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/tokenizer/tokenizer_regex.h"

namespace mote {

class PreTokenizer {
 public:
  // spec is tokenizer.json's "pre_tokenizer" value (an object, or null for none).
  static PreTokenizer from_json(const nlohmann::json& spec);

  // True when the steps end in ByteLevel, i.e. pieces are BPE'd over their UTF-8 bytes.
  bool is_byte_level() const { return byte_level_; }

  // Splits text into pieces (appended to pieces). Pieces are views into text, or into strings
  // appended to storage when a step adds characters (ByteLevel's add_prefix_space).
  void split(std::string_view text, std::vector<std::string_view>& pieces,
             std::deque<std::string>& storage) const;

 private:
  enum class Behavior { Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous };
  struct Step {
    TokenizerRegex regex;
    Behavior behavior = Behavior::Isolated;
    bool invert = false;
    bool add_prefix_space = false;  // prepend ' ' to each piece first (ByteLevel)
  };
  std::vector<Step> steps_;
  bool byte_level_ = false;

  static void add_step(const nlohmann::json& spec, std::vector<Step>& steps, bool& byte_level,
                       bool last);
  static void apply(const Step& step, std::string_view piece, std::vector<std::string_view>& out,
                    std::deque<std::string>& storage);
};

}  // namespace mote
