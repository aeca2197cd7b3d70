#include "organism/tokenizer_json_writer.h"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/tokenizer/tokenizer_byte_level.h"

namespace mote {
namespace {

// ordered_json keeps the keys in the order Hugging Face writes them (and the vocab in id order),
// so the file reads like DeepSeek's.
using ojson = nlohmann::ordered_json;

// DeepSeek's third Split regex. Its character classes hold a literal CR and LF (written "\r\n"
// in the JSON file), which a raw string cannot spell, hence the concatenation.
const std::string kWordRegex = R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^)"
                               "\r\n"
                               R"(\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[)"
                               "\r\n"
                               R"(]*|\s*[)"
                               "\r\n"
                               R"(]+|\s+(?!\S)|\s+)";

ojson split_step(const std::string& regex) {
  ojson step;
  step["type"] = "Split";
  step["pattern"] = {{"Regex", regex}};
  step["behavior"] = "Isolated";
  step["invert"] = false;
  return step;
}

ojson pre_tokenizer() {
  ojson byte_level;
  byte_level["type"] = "ByteLevel";
  byte_level["add_prefix_space"] = false;
  byte_level["trim_offsets"] = true;
  byte_level["use_regex"] = false;
  ojson spec;
  spec["type"] = "Sequence";
  spec["pretokenizers"] =
      ojson::array({split_step(R"(\p{N}{1,3})"), split_step("[一-龥぀-ゟ゠-ヿ]+"),
                    split_step(kWordRegex), byte_level});
  return spec;
}

// DeepSeek's decoder and post-processor entries (ByteLevel; the flags only matter to Hugging
// Face's offsets, never to ids or text).
ojson byte_level_step(bool trim_offsets) {
  ojson step;
  step["type"] = "ByteLevel";
  step["add_prefix_space"] = true;
  step["trim_offsets"] = trim_offsets;
  step["use_regex"] = true;
  return step;
}

ojson added_token_config(const std::string& content) {
  ojson token;
  token["__type"] = "AddedToken";
  token["content"] = content;
  token["lstrip"] = false;
  token["normalized"] = true;
  token["rstrip"] = false;
  token["single_word"] = false;
  return token;
}

// R1's template as published in deepseek-ai/DeepSeek-R1's tokenizer_config.json (revised
// release): one system prompt, earlier reasoning stripped, tool blocks, "<think>\n" opened.
const char* const kR1ChatTemplate =
    R"jinja({% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %})jinja";

}  // namespace

const std::vector<AddedTokenSpec>& deepseek_r1_added_tokens() {
  static const std::vector<AddedTokenSpec> tokens = {{"<｜begin▁of▁sentence｜>", true},
                                                     {"<｜end▁of▁sentence｜>", true},
                                                     {"<｜▁pad▁｜>", true},
                                                     {"<｜User｜>", false},
                                                     {"<｜Assistant｜>", false},
                                                     {"<think>", false},
                                                     {"</think>", false}};
  return tokens;
}

std::string deepseek_pre_tokenizer_json() {
  return pre_tokenizer().dump();
}

std::string write_byte_level_bpe_tokenizer_json(
    const std::vector<AddedTokenSpec>& added,
    const std::vector<std::pair<std::string, std::string>>& merges) {
  ojson doc;
  doc["version"] = "1.0";
  doc["truncation"] = nullptr;
  doc["padding"] = nullptr;
  ojson added_tokens = ojson::array();
  for (std::size_t id = 0; id < added.size(); ++id) {
    ojson token;
    token["id"] = id;
    token["content"] = added[id].content;
    token["single_word"] = false;
    token["lstrip"] = false;
    token["rstrip"] = false;
    // Hugging Face's convention: special tokens are matched on the raw text.
    token["normalized"] = !added[id].special;
    token["special"] = added[id].special;
    added_tokens.push_back(std::move(token));
  }
  doc["added_tokens"] = std::move(added_tokens);
  doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", ojson::array()}};
  doc["pre_tokenizer"] = pre_tokenizer();
  doc["post_processor"] = byte_level_step(false);
  doc["decoder"] = byte_level_step(true);

  // Vocabulary: raw byte strings -> ids, to resolve merges and reject inconsistent ones early.
  std::unordered_map<std::string, std::size_t> ids;
  ojson vocab = ojson::object();
  auto add_token = [&](const std::string& bytes) {
    const std::size_t id = added.size() + ids.size();
    if (ids.emplace(bytes, id).second) vocab[byte_level::encode(bytes)] = id;
  };
  for (int b = 0; b < 256; ++b) add_token(std::string(1, static_cast<char>(b)));
  ojson merge_list = ojson::array();
  for (const auto& [left, right] : merges) {
    if (!ids.count(left) || !ids.count(right)) {
      throw TokenizerError("BPE merge uses a token that is not in the vocabulary yet");
    }
    add_token(left + right);
    merge_list.push_back(byte_level::encode(left) + " " + byte_level::encode(right));
  }

  ojson model;
  model["type"] = "BPE";
  model["dropout"] = nullptr;
  model["unk_token"] = nullptr;
  model["continuing_subword_prefix"] = nullptr;
  model["end_of_word_suffix"] = nullptr;
  model["fuse_unk"] = false;
  model["byte_fallback"] = false;
  model["ignore_merges"] = false;
  model["vocab"] = std::move(vocab);
  model["merges"] = std::move(merge_list);
  doc["model"] = std::move(model);
  return doc.dump(2);
}

const std::string& deepseek_r1_chat_template() {
  static const std::string text = kR1ChatTemplate;
  return text;
}

std::string organism_tokenizer_config_json() {
  // Mirrors DeepSeek-R1's file. add_bos_token is what transformers' encode() does with
  // add_special_tokens=True; chat prompts carry the BOS as text and are encoded without it.
  ojson config;
  config["add_bos_token"] = true;
  config["add_eos_token"] = false;
  config["bos_token"] = added_token_config(deepseek_r1_added_tokens()[0].content);
  config["clean_up_tokenization_spaces"] = false;
  config["eos_token"] = added_token_config(deepseek_r1_added_tokens()[1].content);
  config["legacy"] = true;
  config["model_max_length"] = 16384;
  config["pad_token"] = added_token_config(deepseek_r1_added_tokens()[1].content);
  config["sp_model_kwargs"] = ojson::object();
  config["unk_token"] = nullptr;
  config["tokenizer_class"] = "LlamaTokenizerFast";
  config["chat_template"] = deepseek_r1_chat_template();
  return config.dump(2);
}

}  // namespace mote
