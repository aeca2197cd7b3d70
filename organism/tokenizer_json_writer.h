#pragma once
// Writes Hugging Face tokenizer files for a byte-level BPE model shaped like DeepSeek-R1's:
// R1's added tokens at small fixed ids, DeepSeek's exact pre-tokenizer (three Split regexes then
// ByteLevel without prefix space or regex), no normalizer, ByteLevel decoder. The result loads
// in engine/tokenizer/tokenizer.cpp and in Hugging Face tokenizers alike. The merges come from
// elsewhere (organism/bpe_trainer.h).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mote {

struct AddedTokenSpec {
  std::string content;
  bool special;  // Hugging Face's flag: skipped by decode(skip_special_tokens)
};

// R1's tokens, id = index: 0 <｜begin▁of▁sentence｜>, 1 <｜end▁of▁sentence｜>, 2 <｜▁pad▁｜>
// (special, as in DeepSeek's file), 3 <｜User｜>, 4 <｜Assistant｜>, 5 <think>, 6 </think>
// (not special, as in R1's file).
const std::vector<AddedTokenSpec>& deepseek_r1_added_tokens();
inline constexpr int64_t kOrganismBosId = 0;  // <｜begin▁of▁sentence｜>
inline constexpr int64_t kOrganismEosId = 1;  // <｜end▁of▁sentence｜>

// tokenizer.json's "pre_tokenizer" value as JSON text: DeepSeek-V3/R1's, verbatim.
std::string deepseek_pre_tokenizer_json();

// A complete tokenizer.json. Ids: the added tokens first (0 .. added.size()-1), then the 256 byte
// symbols in byte order, then one token per merge in merge order. Merges are pairs of raw byte
// strings (left, right), each side a byte or an earlier merge's result; a merge whose result is
// already a token reuses it.
std::string write_byte_level_bpe_tokenizer_json(
    const std::vector<AddedTokenSpec>& added,
    const std::vector<std::pair<std::string, std::string>>& merges);

// R1's chat template (the revised one, whose generation prompt is "<｜Assistant｜><think>\n"),
// verbatim from DeepSeek's tokenizer_config.json; ChatTemplate recognizes it as deepseek-r1.
const std::string& deepseek_r1_chat_template();

// tokenizer_config.json for the organism, shaped like R1's: BOS/EOS tokens (EOS also pads),
// LlamaTokenizerFast with add_bos_token as DeepSeek has it, and R1's chat template.
std::string organism_tokenizer_config_json();

}  // namespace mote
