#!/usr/bin/env python3
"""Writes pipelines/reference/torture_corpus.jsonl: the hand-written tokenizer torture corpus.

The committed ``torture_corpus.jsonl`` is the source of truth that ``tokenizer_goldens.py`` reads; this file only
exists so the corpus can be read and edited as Python literals (escapes such as ``\\u0301`` stay visible) and
rewritten byte-for-byte identically.  Order matters (goldens are in corpus order); append new entries at the end.

Usage (from the repository root):
    /work/pyref/bin/python pipelines/reference/make_torture_corpus.py
"""
from __future__ import annotations

import json
import os
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "torture_corpus.jsonl")


def entries() -> list[str]:
    e: list[str] = []
    add = e.append

    # --- empty and whitespace -------------------------------------------------------------------------------
    add("")
    add(" ")
    for n in (2, 3, 4, 5, 7, 8, 15, 16, 31, 64):
        add(" " * n)
    add("\t")
    add("\t\t\t")
    add(" \t \t")
    add("\n")
    add("\n\n")
    add("\n\n\n")
    add("\n\n\n\n\n\n\n\n")
    add("\r\n")
    add("\r\n\r\n")
    add("\r")
    add("line one\r\nline two\r\n")
    add("a\n\n\nb")
    add("trailing space ")
    add("trailing spaces   ")
    add("trailing tab\t")
    add(" leading space")
    add("   three leading spaces")
    add("\tleading tab")
    add("\nleading newline")
    add("word  two  spaces   three    four")
    add("Hello world")
    add("Hello  world")
    add("Hello\u00a0world")  # NO-BREAK SPACE
    add("\u00a0\u00a0leading nbsp")
    add("ideographic\u3000space\u3000\u3000")
    add("line\u2028separator\u2029paragraph")
    add("\u2028")
    add("en\u2002em\u2003thin\u2009hair\u200a.")
    add("zero\u200bwidth\u200cnon\u200djoiner\ufeffbom")
    add("\ufeffBOM at start")
    add("  \n  \n  ")
    add("end with newline\n")
    add("end with spaces and newline   \n")
    add("    indented code line\n        more indented\n")

    # --- digits ---------------------------------------------------------------------------------------------
    digits = "12345678901234567890"
    for n in range(1, 21):
        add(digits[:n])
    add("0")
    add("007")
    add("7654321")
    add("3.14159")
    add("2.718281828459045")
    add("1,000,000")
    add("1.000.000,50")
    add("-42")
    add("+1 (555) 123-4567")
    add("1e-10 6.022e23 0x1F 0b1011 0o777")
    add("In 2024, 73% of 1,234 users paid $19.99 (avg. 4.5/5).")
    add("v1.2.3-beta.4+build.567")
    add("2024-01-15T09:30:00Z")
    add("12:34:56.789")
    add("١٢٣٤٥ ٦٧٨٩٠")  # Arabic-Indic digits
    add("१२३४५६७८९०")  # Devanagari digits
    add("１２３４５")  # fullwidth digits
    add("½ ¾ ² ³ ⅓ Ⅻ ①②③")
    add("3abc 4x4 h2o a1b2c3")

    # --- scripts --------------------------------------------------------------------------------------------
    add("你好，世界！")
    add("我们今天去北京大学吃饭了。这是一个很长的中文句子，用来测试分词器。")
    add("日本語のテキストです。ひらがなとカタカナ、そして漢字。")
    add("カタカナ ｶﾀｶﾅ（半角）")
    add("안녕하세요, 세계! 한국어 텍스트입니다.")
    add("ภาษาไทยไม่มีช่องว่างระหว่างคำ")
    add("ភាសាខ្មែរ គឺជាភាសាផ្លូវការរបស់ប្រទេសកម្ពុជា")
    add("مرحبا بالعالم! هذه جملة عربية.")
    add("שלום עולם! זה משפט בעברית.")
    add("नमस्ते दुनिया! यह हिंदी वाक्य है।")
    add("Привет, мир! Это русский текст.")
    add("Γειά σου Κόσμε! Ελληνικά.")
    add("Ελληνικά ΚΕΦΑΛΑΙΑ και ΣΊΣΥΦΟΣ")
    add("Tiếng Việt có dấu: Cửa Việt, Hà Nội, Đà Nẵng.")
    add("ქართული ენა")
    add("Հայերեն լեզու")
    add("ꦧꦱꦗꦮ")  # Javanese
    add("ᠮᠣᠩᠭᠣᠯ")  # Mongolian
    add("mixed日本語andEnglish混合text")
    add("naïve café résumé façade Ångström Øresund straße")
    add("ÀÉÎÕÜ àéîõü ñÑ çÇ ßẞ")
    add("İstanbul ıi İI")  # Turkish dotted/dotless i

    # --- combining marks and normalization ------------------------------------------------------------------
    add("e\u0301")
    add("caf\u00e9 vs cafe\u0301")
    add(unicodedata.normalize("NFC", "Cửa Việt"))
    add(unicodedata.normalize("NFD", "Cửa Việt"))
    add(unicodedata.normalize("NFD", "Tiếng Việt có dấu"))
    add("\u0301 lone combining mark at start")
    add("\u0301")
    add("a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307")  # stacked marks
    add("Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O")
    add("\uac00 vs \u1100\u1161")  # precomposed Hangul vs jamo
    add("ﬁ ﬂ ﬃ ㎏ ™ ℃ Å")  # compatibility characters

    # --- emoji ----------------------------------------------------------------------------------------------
    add("😀")
    add("Hello 👋 world 🌍!")
    add("👍🏻👍🏼👍🏽👍🏾👍🏿")
    add("👨\u200d👩\u200d👧\u200d👦 family")
    add("🧑🏽\u200d💻 coder, 🏳️\u200d🌈 flag, ❤️\u200d🔥")
    add("🇺🇸🇯🇵🇩🇪🇫🇷🇧🇷")
    add("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scotland")
    add("1️⃣ #️⃣ *️⃣ ©️ ®️")
    add("☺ ☺️ ✔ ✔️")
    add("😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗")
    add("emoji🚀inside🚀words")

    # --- contractions and apostrophes -----------------------------------------------------------------------
    add("don't")
    add("I'M")
    add("they'll")
    add("it's")
    add("We've")
    add("she'd")
    add("'s")
    add("'s at line start\n's again")
    add("I'm sure they're done; you'd've thought it'll WORK. DON'T, WON'T, Y'ALL.")
    add("the dog's bone, the dogs' bones, James's book")
    add("don\u2019t it\u2019s we\u2019ve")  # right single quotation mark
    add("don`t it\u02bcs rock \u2018n\u2019 roll")
    add("''quoted'' 'single' \"double\" \u201ccurly\u201d \u00abguillemets\u00bb \u300cCJK\u300d")
    add("'''")
    add("O'Neil's rock'n'roll ma'am")
    add(" 's 't 're 've 'm 'll 'd")
    add("'S 'T 'RE 'VE 'M 'LL 'D")

    # --- code -----------------------------------------------------------------------------------------------
    add('def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n')
    add("for i in range(10):\n\tprint(f\"{i:>4d} {i**2:#x}\")\n")
    add("import Foundation\n\nstruct Point: Hashable {\n    var x: Double\n    var y: Double\n}\n\nlet p = Point(x: 1.5, y: -2)\nprint(\"\\(p.x), \\(p.y)\")\n")
    add('func greet(_ name: String) async throws -> String { return "Hello, \\(name)!" }')
    add('{"name": "search_recipes", "arguments": {"ingredients": ["chicken", "bell peppers"], "max": 10, "ok": true, "x": null}}')
    add('{\n  "a": [1, 2.5, -3e10],\n  "b": {"nested": "va\\"lue\\n"}\n}')
    add('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>T&amp;C</title></head>\n<body><p class="x">Hi &lt;there&gt;</p></body></html>')
    add(r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@\w+\.\w{2,}$")
    add(r"C:\Users\name\Documents\file.txt and \\server\share\n\t\\")
    add("SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;")
    add("#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }")
    add("x = a->b; y = *p++; z = (c != d) && (e <= f) || !g; h ??= i ?: j;")
    add("fn main() { let v: Vec<u8> = vec![0xFF; 16]; println!(\"{:?}\", v); }")
    add("const f = async (x) => { await fetch(`/api/${x}?q=1&r=2`); };")
    add("$ ls -la | grep '^d' && echo \"done\" > /dev/null 2>&1")
    add("    \n\t\n        return None\n")

    # --- URLs, markdown, math -------------------------------------------------------------------------------
    add("https://example.com/path/to/page?query=1&lang=en-US#section-2")
    add("Visit http://www.EXAMPLE.org:8080/a_b-c/~user/index.php?x=%20y for info.")
    add("mailto:someone@example.com ftp://files.example.net/pub/ git@github.com:owner/repo.git")
    add("# Heading 1\n## Heading 2\n\n- item one\n- item two\n  1. nested\n\n**bold** *italic* `code` [link](https://x.y)\n")
    add("| col A | col B |\n|------:|:-----:|\n| 1 | 2 |\n")
    add("```python\nprint('hi')\n```\n")
    add("> quote\n>> nested quote\n\n---\n\n***\n")
    add("∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x|; ∑_{i=1}^{n} i = n(n+1)/2; ∫₀^∞ e^{-x} dx = 1")
    add("α β γ δ ε ζ η θ λ μ π σ φ ψ ω Ω ∞ ≈ ≠ ≤ ≥ ± × ÷ ∂ ∇ ∈ ∉ ⊂ ⊆ ∪ ∩")
    add("$E = mc^2$ and $$\\frac{a}{b} + \\sqrt{\\alpha_1}$$")

    # --- long words and punctuation runs --------------------------------------------------------------------
    add("a" * 500)
    add("x9Kq2LmZ7vB4nR8tW1yH6jC3fD5gS0pA" * 9 + "x9Kq2LmZ7vB4")  # 300-char alphanumeric
    add("Supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis")
    add("ab" * 150)
    add("The quick brown fox jumps over the lazy dog. " * 4)
    add("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")
    add("??!?!?!...,,,;;;:::")
    add("...........................................................")
    add("----------------------------------------------------------------")
    add("================================================================")
    add("________________________________ ****************")
    add("!@#$%^&*()_+-=[]{}|;':\",./<>?`~")
    add("~~~///\\\\\\|||")
    add("«»‹›„“”‚‘’–—…·•※†‡§¶")
    add("😀" * 30)
    add("中" * 100)
    add(" " * 100 + "x")
    add("\n" * 40)

    # --- mixed-script words ---------------------------------------------------------------------------------
    add("Straßenbahn-Haltestelle München日本")
    add("iPhone15Pro中国版")
    add("GPT-4o和Claude的比较")
    add("Привет123мир")
    add("abcабвαβγ")
    add("test日本test한국test")

    # --- special-token strings inside text ------------------------------------------------------------------
    add("<|begin_of_text|>")
    add("<|begin_of_text|>Hello")
    add("<|eot_id|>")
    add("<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>")
    add("<|im_start|>")
    add("<|im_end|>")
    add("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n")
    add("<|endoftext|>")
    add("text<|endoftext|>more text")
    add("<s>")
    add("</s>")
    add("<unk>")
    add("<s>[INST] Hello [/INST] Hi</s>")
    add("<s> </s> <unk>")
    add("<|im_start|")
    add("< |im_end|>")
    add("<|im_end |>")
    add("<|IM_START|>")
    add("|im_start|>")
    add("<<|im_start|>>")
    add("<|im_start|><|im_start|><|im_end|>")
    add(" <|im_start|> ")
    add("  <|endoftext|>  ")
    add("word <|eot_id|> word")
    add("\n<|im_end|>\n")
    add(" <s> ")
    add("a</s>b")
    add("<think>\nreasoning\n</think>\n\nanswer")
    add("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>")
    add("<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>")
    add("<|reserved_special_token_0|> <|finetune_right_pad_id|>")
    add("<repo_name>owner/repo<file_sep>main.py")
    add("<|endoftext|><|endoftext|>")

    # --- control characters and odd code points -------------------------------------------------------------
    add("\x00")
    add("a\x00b")
    add("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x1b\x1f\x7f")
    add("bell\x07 escape\x1b[31mred\x1b[0m")
    add("\x0bvertical tab\x0cform feed")
    add("\x85next line\u0085")
    add("\u00ad soft hyphen in-\u00adword")
    add("\u200e LRM \u200f RLM \u202a LRE \u202c PDF \u2066 LRI \u2069")
    add("\uffff")
    add("nonchar \ufffe\uffff \U0001fffe \U0010ffff end")
    add("\ufdd0\ufdef")
    add("\ufffd replacement char")
    add("\ue000 private use \U000f0000")
    add("𝕏")
    add("𐍈")
    add("𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭 𝟙𝟚𝟛")
    add("𠀀𠀁𪚥 extension-B ideographs")
    add("\U0001f600\U0001f601 outside BMP in a row: 𐍈𐍉𐍊")
    add("Ａｂｃ　ＦＵＬＬＷＩＤＴＨ")

    # --- realistic chat-like snippets -----------------------------------------------------------------------
    add("User: What's 2+2?\nAssistant: 2 + 2 = 4.")
    add("Sure! Here's a list:\n\n1. First item\n2. Second item\n3. Third item\n\nLet me know if you need more.")
    add("I'm sorry, but I can't help with that. However, I'd be happy to assist with something else!")
    add("Translation: «Bonjour» → \"Hello\"; «¿Qué tal?» → \"How are you?\"")
    add("Temperature: -5°C (23°F); price: €12,50 / £10.99 / ¥1,200 / ₹999 / ₿0.001")
    add("  Mixed   \t whitespace \r\n and\u00a0nbsp\u3000ideographic \n")
    add("end.")
    return e


def main() -> None:
    texts = entries()
    seen: set[str] = set()
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for t in texts:
            if t in seen:
                raise SystemExit(f"duplicate torture entry: {t!r}")
            seen.add(t)
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    print(f"wrote {len(texts)} entries to {OUT}")


if __name__ == "__main__":
    main()
