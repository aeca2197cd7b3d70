// Times Hugging Face's own tokenizer (npm `tokenizers`, the Node binding of the Rust crate) on
// the benchmark corpus: encoding only, the corpus parsed into strings beforehand, documents
// encoded one after another (each encode runs on one worker thread), ids fetched with getIds().
// Prints one JSON line; with IDS_OUT also writes {"ids": [...]} per document, to check that both
// implementations agree.
//
// usage: node bench_hf.mjs NODE_MODULES_DIR TOKENIZER_JSON CORPUS_JSONL [IDS_OUT]
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modulesDir, tokenizerPath, corpusPath, idsOut] = process.argv.slice(2);
const require = createRequire(path.join(modulesDir, "noop.js"));
const { Tokenizer } = require("tokenizers");

const texts = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t, "utf8"), 0);
const tokenizer = Tokenizer.fromFile(tokenizerPath);

const all = [];
let tokens = 0;
const start = process.hrtime.bigint();
for (const text of texts) {
  const ids = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
  tokens += ids.length;
  all.push(ids);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ documents: texts.length, bytes, tokens, seconds, mb_per_s: bytes / 1e6 / seconds }));
if (idsOut) fs.writeFileSync(idsOut, all.map((ids) => JSON.stringify({ ids: Array.from(ids) })).join("\n") + "\n");
