#include "engine/tokenizer/tokenizer_pretokenizer.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

// The regex Hugging Face's ByteLevel pre-tokenizer applies when use_regex is true (GPT-2's).
constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

std::string type_of(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    throw TokenizerError("pre_tokenizer entry has no \"type\": " + spec.dump().substr(0, 200));
  }
  return spec["type"].get<std::string>();
}

bool bool_field(const nlohmann::json& spec, const char* key, bool fallback) {
  const auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw TokenizerError(std::string("pre_tokenizer field ") + key + " is not a boolean");
  return it->get<bool>();
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& spec) {
  PreTokenizer result;
  if (spec.is_null()) return result;
  if (type_of(spec) == "Sequence") {
    const auto it = spec.find("pretokenizers");
    if (it == spec.end() || !it->is_array()) {
      throw TokenizerError("pre_tokenizer Sequence has no \"pretokenizers\" array");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      add_step((*it)[i], result.steps_, result.byte_level_, i + 1 == it->size());
    }
  } else {
    add_step(spec, result.steps_, result.byte_level_, true);
  }
  return result;
}

void PreTokenizer::add_step(const nlohmann::json& spec, std::vector<Step>& steps, bool& byte_level,
                            bool last) {
  const std::string type = type_of(spec);
  if (type == "Split") {
    const auto pattern = spec.find("pattern");
    if (pattern == spec.end() || !pattern->is_object()) {
      throw TokenizerError("pre_tokenizer Split has no \"pattern\" object");
    }
    std::optional<TokenizerRegex> regex;
    if (pattern->contains("Regex") && (*pattern)["Regex"].is_string()) {
      regex = TokenizerRegex::from_oniguruma((*pattern)["Regex"].get<std::string>());
    } else if (pattern->contains("String") && (*pattern)["String"].is_string()) {
      regex = TokenizerRegex::literal((*pattern)["String"].get<std::string>());
    } else {
      throw TokenizerError("pre_tokenizer Split pattern is neither Regex nor String: " +
                           pattern->dump());
    }
    Step step{*regex};
    const std::string behavior = spec.value("behavior", std::string("Isolated"));
    if (behavior == "Isolated") {
      step.behavior = Behavior::Isolated;
    } else if (behavior == "Removed") {
      step.behavior = Behavior::Removed;
    } else if (behavior == "MergedWithPrevious") {
      step.behavior = Behavior::MergedWithPrevious;
    } else if (behavior == "MergedWithNext") {
      step.behavior = Behavior::MergedWithNext;
    } else if (behavior == "Contiguous") {
      step.behavior = Behavior::Contiguous;
    } else {
      throw TokenizerError("pre_tokenizer Split behavior '" + behavior + "' is not supported");
    }
    step.invert = bool_field(spec, "invert", false);
    steps.push_back(std::move(step));
    return;
  }
  if (type == "ByteLevel") {
    // Byte-level BPE maps bytes to the GPT-2 alphabet here; pieces after that would be matched
    // as mapped text, which this implementation does not do.
    if (!last) {
      throw TokenizerError("pre_tokenizer ByteLevel is followed by other steps; not supported");
    }
    byte_level = true;
    const bool add_prefix_space = bool_field(spec, "add_prefix_space", true);
    const bool use_regex = bool_field(spec, "use_regex", true);
    if (use_regex) {
      Step step{TokenizerRegex::from_oniguruma(kGpt2Pattern)};
      step.add_prefix_space = add_prefix_space;
      steps.push_back(std::move(step));
    } else if (add_prefix_space) {
      // A step whose regex never matches: it only prepends the space.
      Step step{TokenizerRegex::from_oniguruma("(?!)")};
      step.add_prefix_space = true;
      steps.push_back(std::move(step));
    }
    return;
  }
  throw TokenizerError("pre_tokenizer type '" + type + "' is not supported");
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces,
                         std::deque<std::string>& storage) const {
  if (text.empty()) return;
  if (steps_.empty()) {
    pieces.push_back(text);
    return;
  }
  thread_local std::vector<std::string_view> current, next;
  current.clear();
  current.push_back(text);
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    std::vector<std::string_view>& target = s + 1 == steps_.size() ? pieces : next;
    if (&target == &next) next.clear();
    for (std::string_view piece : current) apply(steps_[s], piece, target, storage);
    if (&target == &next) current.swap(next);
  }
}

void PreTokenizer::apply(const Step& step, std::string_view piece,
                         std::vector<std::string_view>& out, std::deque<std::string>& storage) {
  if (step.add_prefix_space && piece.front() != ' ') {
    storage.push_back(" ");
    storage.back().append(piece);
    piece = storage.back();
  }
  thread_local std::vector<RegexMatch> matches;
  matches.clear();
  step.regex.find_matches(piece, matches);
  if (step.behavior == Behavior::Isolated && !step.invert) {
    // The common case (every DeepSeek step): gaps and matches each become a piece.
    std::uint32_t previous = 0;
    for (const RegexMatch& m : matches) {
      if (m.begin > previous) out.push_back(piece.substr(previous, m.begin - previous));
      out.push_back(piece.substr(m.begin, m.end - m.begin));
      previous = m.end;
    }
    if (previous < piece.size()) out.push_back(piece.substr(previous));
    return;
  }
  // General case, following Hugging Face's NormalizedString::split: segments covering the piece,
  // each flagged as match or not, then combined according to the behavior.
  struct Segment {
    std::uint32_t begin, end;
    bool is_match;
  };
  std::vector<Segment> segments;
  std::uint32_t previous = 0;
  for (const RegexMatch& m : matches) {
    if (m.begin > previous) segments.push_back({previous, m.begin, false});
    segments.push_back({m.begin, m.end, true});
    previous = m.end;
  }
  if (previous < piece.size()) {
    segments.push_back({previous, static_cast<std::uint32_t>(piece.size()), false});
  }
  if (step.invert) {
    for (Segment& seg : segments) seg.is_match = !seg.is_match;
  }
  std::vector<Segment> combined;
  bool previous_match = false;
  switch (step.behavior) {
    case Behavior::Isolated:
      combined = segments;
      break;
    case Behavior::Removed:
      for (const Segment& seg : segments) {
        if (!seg.is_match) combined.push_back(seg);
      }
      break;
    case Behavior::MergedWithPrevious:
      for (const Segment& seg : segments) {
        if (seg.is_match && !previous_match && !combined.empty()) {
          combined.back().end = seg.end;
        } else {
          combined.push_back(seg);
        }
        previous_match = seg.is_match;
      }
      break;
    case Behavior::MergedWithNext:
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !combined.empty()) {
          combined.back().begin = it->begin;
        } else {
          combined.push_back(*it);
        }
        previous_match = it->is_match;
      }
      std::reverse(combined.begin(), combined.end());
      break;
    case Behavior::Contiguous:
      for (const Segment& seg : segments) {
        if (seg.is_match == previous_match && !combined.empty()) {
          combined.back().end = seg.end;
        } else {
          combined.push_back(seg);
        }
        previous_match = seg.is_match;
      }
      break;
  }
  for (const Segment& seg : combined) {
    if (seg.end > seg.begin) out.push_back(piece.substr(seg.begin, seg.end - seg.begin));
  }
}

}  // namespace mote
