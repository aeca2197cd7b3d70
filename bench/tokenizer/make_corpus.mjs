// Writes the tokenizer benchmark corpus: JSON lines {"text": ...}, mixed English prose, Chinese
// prose and source code, at least MIN_BYTES of UTF-8 text. It is deterministic: a seeded PRNG
// draws words from the pinned DeepSeek tokenizer.json's own vocabulary (lower ids, i.e. more
// frequent tokens, drawn more often), so the same file and seed always give the same corpus.
//
// usage: node make_corpus.mjs TOKENIZER_JSON OUT_JSONL [MIN_BYTES]
import fs from "node:fs";

const [tokenizerPath, outPath, minBytesArg] = process.argv.slice(2);
if (!tokenizerPath || !outPath) {
  console.error("usage: node make_corpus.mjs TOKENIZER_JSON OUT_JSONL [MIN_BYTES]");
  process.exit(2);
}
const minBytes = Number(minBytesArg ?? 12_000_000);

// mulberry32: small, fast, and the same on every platform.
let state = 20261122 >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const below = (n) => Math.floor(random() * n);
const pick = (list) => list[below(list.length)];
// Skewed towards the head of the list, like word frequencies.
const pickFrequent = (list) => list[Math.floor(list.length * random() ** 3)];

// GPT-2's byte-to-unicode table, to turn vocabulary entries back into text.
const byteOf = new Map();
{
  let extra = 256;
  for (let b = 0; b < 256; ++b) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteOf.set(String.fromCodePoint(printable ? b : extra++), b);
  }
}
const decoder = new TextDecoder("utf-8", { fatal: true });
function tokenText(token) {
  const bytes = [];
  for (const ch of token) {
    if (!byteOf.has(ch)) return null;
    bytes.push(byteOf.get(ch));
  }
  try {
    return decoder.decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

const vocab = JSON.parse(fs.readFileSync(tokenizerPath, "utf8")).model.vocab;
const byId = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
const englishWords = [], chineseWords = [];
for (const [token] of byId) {
  const text = tokenText(token);
  if (text === null) continue;
  if (/^ [a-z]{2,12}$/.test(text)) englishWords.push(text.slice(1));
  else if (/^[\u4e00-\u9fa5]{1,4}$/.test(text)) chineseWords.push(text);
}

function capitalize(word) {
  return word[0].toUpperCase() + word.slice(1);
}
function number() {
  const kind = below(4);
  if (kind === 0) return String(1900 + below(130));
  if (kind === 1) return (random() * 1000).toFixed(below(3) + 1);
  if (kind === 2) return String(below(100));
  return String(below(10_000_000));
}

function englishParagraph() {
  const sentences = [];
  for (let s = 2 + below(6); s > 0; --s) {
    const words = [];
    for (let w = 5 + below(16); w > 0; --w) {
      const r = random();
      if (r < 0.04) words.push(number());
      else if (r < 0.07) words.push(capitalize(pickFrequent(englishWords)));
      else words.push(pickFrequent(englishWords));
      if (random() < 0.07) words[words.length - 1] += pick([",", ",", ";", ":"]);
      if (random() < 0.02) words[words.length - 1] = `"${words[words.length - 1]}"`;
      if (random() < 0.02) words[words.length - 1] += pick(["'s", "n't", "'re"]);
    }
    words[0] = capitalize(words[0]);
    sentences.push(words.join(" ") + pick([".", ".", ".", "?", "!"]));
  }
  return sentences.join(" ");
}

function chineseParagraph() {
  let text = "";
  for (let s = 2 + below(6); s > 0; --s) {
    for (let w = 6 + below(20); w > 0; --w) {
      const r = random();
      if (r < 0.04) text += number();
      else if (r < 0.07) text += " " + pickFrequent(englishWords) + " ";
      else text += pickFrequent(chineseWords);
      if (random() < 0.08) text += pick(["，", "、", "；"]);
    }
    text += pick(["。", "。", "？", "！"]);
  }
  return text;
}

function identifier() {
  const parts = [pickFrequent(englishWords), pickFrequent(englishWords)];
  return random() < 0.5 ? parts.join("_") : parts[0] + capitalize(parts[1]);
}
function expression() {
  const r = random();
  if (r < 0.3) return `${identifier()}(${identifier()}, ${number()})`;
  if (r < 0.5) return `${identifier()} + ${number()} * ${identifier()}`;
  if (r < 0.7) return `"${englishParagraph().slice(0, 40)}"`;
  if (r < 0.85) return `${identifier()}[${below(64)}]`;
  return `${identifier()}.${identifier()}()`;
}
function cppFunction() {
  let out = `// ${englishParagraph().slice(0, 90)}\nstatic int ${identifier()}(const std::vector<int>& ${identifier()}, int ${identifier()}) {\n`;
  for (let i = 2 + below(8); i > 0; --i) {
    const r = random();
    if (r < 0.3) out += `  if (${identifier()} >= ${number()}) {\n    return ${expression()};\n  }\n`;
    else if (r < 0.5) out += `  for (int i = 0; i < ${identifier()}.size(); ++i) ${identifier()} += i;\n`;
    else out += `  auto ${identifier()} = ${expression()};\n`;
  }
  return out + `  return ${identifier()};\n}\n`;
}
function pythonFunction() {
  let out = `def ${identifier()}(${identifier()}, ${identifier()}=None):\n    """${englishParagraph().slice(0, 80)}"""\n`;
  for (let i = 2 + below(8); i > 0; --i) {
    const r = random();
    if (r < 0.3) out += `    if ${identifier()} is not None and ${identifier()} > ${number()}:\n        return ${expression()}\n`;
    else if (r < 0.5) out += `    for ${identifier()} in range(${below(100)}):\n        ${identifier()}.append(${expression()})\n`;
    else out += `    ${identifier()} = ${expression()}\n`;
  }
  return out + `    return ${identifier()}\n`;
}
function codeDocument() {
  const parts = [];
  for (let f = 2 + below(5); f > 0; --f) parts.push(random() < 0.5 ? cppFunction() : pythonFunction());
  return parts.join("\n");
}

function document() {
  const r = random();
  const paragraphs = [];
  const count = 2 + below(8);
  for (let p = 0; p < count; ++p) {
    if (r < 0.45) paragraphs.push(englishParagraph());
    else if (r < 0.7) paragraphs.push(chineseParagraph());
    else if (r < 0.9) return codeDocument();
    else paragraphs.push(random() < 0.5 ? englishParagraph() : chineseParagraph());
  }
  return paragraphs.join("\n\n");
}

const out = fs.openSync(outPath, "w");
let bytes = 0, documents = 0;
while (bytes < minBytes) {
  const text = document();
  bytes += Buffer.byteLength(text, "utf8");
  documents += 1;
  fs.writeSync(out, JSON.stringify({ text }) + "\n");
}
fs.closeSync(out);
console.error(`make_corpus: ${documents} documents, ${bytes} bytes of text -> ${outPath}`);
