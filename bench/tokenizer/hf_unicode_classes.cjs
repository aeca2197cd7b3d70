// Writes, for each Unicode property X in L M N P S, every code point that Hugging Face's
// tokenizers (its Oniguruma regex engine) puts in \p{X}, found by pre-tokenizing all code points
// with a Split on \p{X}. Used by gen_unicode_ranges.sh.
//
// usage: node hf_unicode_classes.cjs NODE_MODULES_DIR OUT_JSON
const path = require('path');
const fs = require('fs');
const [modulesDir, outPath] = process.argv.slice(2);
const t = require(path.join(path.resolve(modulesDir), 'tokenizers'));
const result = {};
for (const prop of ['L', 'M', 'N', 'P', 'S']) {
  const doc = {version: '1.0', added_tokens: [], normalizer: null,
    pre_tokenizer: {type: 'Split', pattern: {Regex: `\\p{${prop}}`}, behavior: 'Isolated', invert: false},
    post_processor: null, decoder: null,
    model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: {a: 0}, merges: []}};
  const tok = t.Tokenizer.fromString(JSON.stringify(doc));
  const pre = tok.getPreTokenizer();
  const members = [];
  const CHUNK = 4096;
  for (let start = 0; start < 0x110000; start += CHUNK) {
    let s = '';
    const cps = [];
    for (let cp = start; cp < Math.min(start + CHUNK, 0x110000); ++cp) {
      // Skip surrogates, and U+0001, the separator (a control character in no class).
      if ((cp >= 0xD800 && cp <= 0xDFFF) || cp === 1) continue;
      s += String.fromCodePoint(cp) + '\x01';
      cps.push(cp);
    }
    const pieces = new Set(pre.preTokenizeString(s).map((p) => p[0]));
    for (const cp of cps) if (pieces.has(String.fromCodePoint(cp))) members.push(cp);
  }
  result[prop] = members;
  console.error(prop, members.length);
}
fs.writeFileSync(outPath, JSON.stringify(result));
