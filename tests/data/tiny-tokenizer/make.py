#!/usr/bin/env python3
"""Writes a tiny DeepSeek-R1-style tokenizer (tokenizer.json + tokenizer_config.json) for the
server tests on tests/data/v3-tiny (vocab 512): byte-level BPE over the 256 GPT-2 byte symbols,
a few merges learned deterministically from the text below, and R1's special tokens, all with
ids < 512. Standard library only; rerun to regenerate (output is byte-for-byte reproducible).
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
N_MERGES = 200

CORPUS = """
The quick brown fox jumps over the lazy dog. What is the capital of France? Paris is the
capital of France. Mixture of experts models route every token to a few experts in each layer.
Tell me a story about a robot who learns to paint. The robot wanted to paint the sea and the
sky. I am sorry, I cannot answer that question. Let me think about this step by step. First,
we consider the question; then we answer it. Hello, how are you today? I am fine, thank you.
Write a poem about the moon. The moon is bright tonight and the stars are shining. Explain how
a transformer works: attention, feed forward layers, and the router that chooses experts.
"""

# GPT-2's byte <-> unicode symbol table (as in Hugging Face's ByteLevel).
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_SYMBOL = bytes_to_unicode()

# Specials: BOS/EOS first (ids 0, 1) as in R1; the chat markers after the learned vocab.
BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
CHAT_SPECIALS = ["<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"]


def pieces(text):
    # Roughly DeepSeek's pre-tokenization: words with their leading space, numbers, punctuation.
    return re.findall(r" ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]+|\s+", text)


def learn_merges(text, n):
    words = {}
    for p in pieces(text):
        sym = tuple(BYTE_SYMBOL[b] for b in p.encode("utf-8"))
        words[sym] = words.get(sym, 0) + 1
    merges = []
    for _ in range(n):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        # Most frequent pair; ties broken lexicographically so the output is reproducible.
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


def main():
    vocab = {BOS: 0, EOS: 1}
    for b in range(256):
        vocab[BYTE_SYMBOL[b]] = len(vocab)
    merges = learn_merges(CORPUS, N_MERGES)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    added = [(BOS, 0), (EOS, 1)]
    for tok in CHAT_SPECIALS:
        vocab[tok] = len(vocab)
        added.append((tok, vocab[tok]))
    assert len(vocab) < 512, len(vocab)

    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": t in ("<think>", "</think>"), "special": t not in ("<think>", "</think>")}
            for t, i in added
        ],
        "normalizer": {"type": "Sequence", "normalizers": []},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated",
             "invert": False},
            {"type": "Split", "pattern": {"Regex": "[一-龥\u3040-ゟ゠-ヿ]+"},
             "behavior": "Isolated", "invert": False},
            {"type": "Split", "pattern": {"Regex":
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
                "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False},
        ]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    # DeepSeek-R1's chat template (as revised: the generation prompt opens <think>).
    chat_template = (
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
        "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', "
        "is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %}"
        "{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}"
        "{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + "
        "'\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}"
        "{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}"
        "{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}"
        "{%- if message['role'] == 'assistant' and message['content'] is not none %}"
        "{% set content = message['content'] %}{% if '</think>' in content %}"
        "{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}"
        "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}")
    config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": {"__type": "AddedToken", "content": BOS, "lstrip": False, "normalized": True,
                      "rstrip": False, "single_word": False},
        "eos_token": {"__type": "AddedToken", "content": EOS, "lstrip": False, "normalized": True,
                      "rstrip": False, "single_word": False},
        "clean_up_tokenization_spaces": False,
        "legacy": True,
        "model_max_length": 16384,
        "pad_token": {"__type": "AddedToken", "content": EOS, "lstrip": False, "normalized": True,
                      "rstrip": False, "single_word": False},
        "sp_model_kwargs": {},
        "unk_token": None,
        "tokenizer_class": "LlamaTokenizerFast",
        "chat_template": chat_template,
    }
    for name, doc in (("tokenizer.json", tokenizer), ("tokenizer_config.json", config)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
    print(f"vocab {len(vocab)} (max id {max(vocab.values())}), {len(merges)} merges")


if __name__ == "__main__":
    main()
