#!/usr/bin/env python3
"""Oracle for the tokenize stage's loss masks: the EAGLE-3 reference's own procedure, re-implemented.

What this is
------------
``eagle/traineagle3/main.py`` of SafeAILab/EAGLE (commit ``cb7e084``, SPEC.md header), function
``build_dataset_rank`` -> inner ``preprocess_function``, turns ShareGPT records into ``input_ids`` and
``loss_mask`` by rendering the conversation with the target's chat template and then *splitting the rendered
string* on Llama-3 header strings, tokenizing the pieces separately and using their token counts as offsets.
This file re-implements that procedure step by step, in its own code (nothing here is copied), one documented
function per step, each naming the upstream lines it mirrors.  It deliberately does **not** use SPEC §3's
table: it is the independent oracle the table (and the Swift ``reference`` mask mode) is checked against.

Setup mirrored: Llama-3.1-8B-Instruct, whose tokenizer equals Llama-3.2's (``tokenizers/llama-3.2/
tokenizer.json`` of the shared data, loaded as ``PreTrainedTokenizerFast``; its post-processor adds
``<|begin_of_text|>`` when ``add_special_tokens`` is true, as the hub tokenizer does) and the Llama-3.1 chat
template (``chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja``).

Date pinning: the Llama-3.1 template never calls ``strftime_now``; it renders ``Today Date: {date_string}`` and
sets ``date_string = "26 Jul 2024"`` when the caller does not define it.  The reference calls
``apply_chat_template(messages, tokenize=False, add_generation_prompt=False)`` without ``date_string``, so it
always gets "26 Jul 2024".  We do the same (never pass ``date_string``) and assert the rendered system header
contains ``Today Date: 26 Jul 2024`` (``render_conversation``), so a template that consults the clock fails
loudly instead of producing date-dependent goldens.

Outputs (``goldens`` command, the default)
------------------------------------------
``Tests/TrainingDataTests/Fixtures/reference-masks/`` (see the README.md there):

* ``<stem>.jsonl.zst`` (zstd -19), made by the reference procedure (``reference_sample``), for MT-bench
  (``messages`` mapped user -> human, assistant -> gpt), LLaMA-Factory DPO (``chosen`` appended as a gpt turn),
  LLaMA-Factory glaive tool-call, FastChat dummy, and ``edge_cases`` (hand-written corner cases, ``EDGE_CASES``;
  their input is written alongside as ``edge_cases.input.jsonl``).  One line per input record, in input order:
  ``{"line": n, "ids": [...], "loss_mask": [...]}`` or ``{"line": n, "rejected": code, "detail": text}`` or
  ``{"line": n, "dropped": "too_long", "length": L}``; ``line`` is the 1-based JSONL line or JSON-array index+1.
  Rejection codes: ``empty`` (no messages; upstream silently skips the record), ``unknown_role`` (a ``from``
  other than human/gpt: upstream KeyError), ``role_alternation`` (upstream AssertionError),
  ``empty_after_role_rules`` (nothing but a dropped first gpt message: upstream IndexError).
* ``assistant-<tokenizer>-mt_bench.jsonl.zst``: SPEC-derived goldens (not the reference's code) for the
  ``assistant`` mask mode (SPEC §3: spans from prefix renders, ``loss_mask[t] = A[t+1]·A[t+2]``), no system
  message, MT-bench, for SmolLM2 (ChatML) and Llama-2 (the Vicuna-style ``USER:/ASSISTANT:`` template of its
  tokenizer_config) from their ``tokenizer.json``, plus ``llama-2-transformers`` (the same folder loaded with
  ``AutoTokenizer``, which transformers 5 rebuilds differently; see ``main``).
* ``manifest.json``: inputs (sha256), package versions, per-file counts, and the cross-check results.

Cross-check (always run): every record of every input file, the edge cases and ``--random`` seeded
recombined conversations (``random_conversations``) also go through SPEC §3's "template-independent
reproduction" (``spec_sample`` with ``spec_table_mask``); records whose outcome, ids or mask differ are counted,
printed and stored in the manifest.

Usage (repository root):
    /work/pyref/bin/python pipelines/reference/mask_reference.py [goldens] [--data ../shared/data]
        [--out Tests/TrainingDataTests/Fixtures/reference-masks] [--per-file N] [--random 2000]
    /work/pyref/bin/python pipelines/reference/mask_reference.py check [--data ...]   # cross-check only

Deterministic: no clock, a fixed seed; same inputs and package versions give identical bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
DEFAULT_OUT = os.path.join(REPO, "Tests", "TrainingDataTests", "Fixtures", "reference-masks")

UPSTREAM = "SafeAILab/EAGLE@cb7e084 eagle/traineagle3/main.py"

# --- constants of the reference -------------------------------------------------------------------------------

#: main.py line 24: train_config["max_len"]; a rendered sequence longer than this is skipped (lines 107-109).
MAX_LEN = 2048

#: main.py line 75: the system message prepended to every conversation (508 characters; SPEC §2 sha256).
REFERENCE_SYSTEM_PROMPT = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe."
    "  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content."
    " Please ensure that your responses are socially unbiased and positive in nature.\n\nIf a question does not make"
    " any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't"
    " know the answer to a question, please don't share false information."
)
assert hashlib.sha256(REFERENCE_SYSTEM_PROMPT.encode()).hexdigest() == \
    "d52c188a3c969c4ece4e68846b15aaf27ef75639b76c08bdd71f062e52c7b9fc"

#: main.py line 78: ShareGPT speaker -> chat-template role.  Any other ``from`` value is a KeyError upstream.
SHAREGPT_ROLES = {"human": "user", "gpt": "assistant"}
#: main.py line 77: the role expected at even / odd positions.
ALTERNATION = ("user", "assistant")

#: main.py line 113: the string that ends a user turn and opens an assistant turn (Llama-3 headers).
ASSISTANT_OPENING = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
#: main.py line 117: the string that ends a turn and opens a user turn (no trailing "\n\n").
USER_OPENING = "<|eot_id|><|start_header_id|>user<|end_header_id|>"

LLAMA3_EOT = 128009


class Rejected(Exception):
    """A record the reference cannot process.  ``code``: stable reason; ``detail``: what the reference does."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


# --- tokenizers and templates ------------------------------------------------------------------------------------

def load_tokenizer(tokenizer_json: str, template: str, *, bos: str | None, eos: str | None,
                   unk: str | None = None, pad: str | None = None):
    """A transformers fast tokenizer built from exactly this ``tokenizer.json`` (no class-specific rebuilding of
    normalizer or pre-tokenizer, which transformers 5 does for some ``tokenizer_class`` values), with the given
    chat template attached."""
    from transformers import PreTrainedTokenizerFast

    kwargs = {k: v for k, v in (("bos_token", bos), ("eos_token", eos), ("unk_token", unk), ("pad_token", pad)) if v}
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json, **kwargs)
    tok.chat_template = template
    return tok


def load_llama31_reference_tokenizer(data: str):
    """The reference's tokenizer (Llama-3.1-8B-Instruct = Llama-3.2 tokenizer) with the Llama-3.1 template."""
    with open(os.path.join(data, "chat-templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"), encoding="utf-8") as f:
        template = f.read()
    return load_tokenizer(os.path.join(data, "tokenizers", "llama-3.2", "tokenizer.json"), template,
                          bos="<|begin_of_text|>", eos="<|eot_id|>", pad="<|finetune_right_pad_id|>")


def count_tokens_as_reference(tokenizer, text: str) -> int:
    """``len(tokenizer(text).input_ids)`` exactly as main.py lines 128 and 135 call it: with the tokenizer's
    default ``add_special_tokens=True``, so for Llama-3 one ``<|begin_of_text|>`` is added in front (the offsets
    upstream are written around that extra token)."""
    return len(tokenizer(text).input_ids)


def encode_plain(tokenizer, text: str) -> list[int]:
    """``tokenizer(text, add_special_tokens=False).input_ids`` (main.py lines 102-106: the full sequence is
    encoded without added special tokens because the template already emits BOS)."""
    return list(tokenizer(text, add_special_tokens=False).input_ids)


# --- step 1: role rules and messages (main.py lines 73-92) -------------------------------------------------------

def reference_messages(source: list[dict], system_prompt: str | None = REFERENCE_SYSTEM_PROMPT) -> list[dict]:
    """The message list the reference renders, or ``Rejected``.

    Mirrors lines 73-92: start from the fixed system message (73-76); an empty ``conversations`` is skipped
    (80-81: ``continue``, the record silently vanishes); the first speaker is looked up in the role map (82, a
    KeyError for anything but human/gpt, e.g. ``system``: the whole run aborts) and dropped once if it is not
    the user (82-84); then every remaining message must map (86, KeyError) to user/assistant alternately
    starting with user (87, AssertionError; aborts the run).  Message text is passed through untouched (the
    EAGLE-1 leading space, lines 88-89, is commented out upstream).

    Where upstream aborts the run we reject the record (SPEC §2), mirroring the order of upstream's checks so the
    reason is the first failure the reference would hit.  ``system_prompt=None`` omits the system message (used
    only by the SPEC-derived ``assistant`` goldens, never by the reference)."""
    messages = [] if system_prompt is None else [{"role": "system", "content": system_prompt}]
    if not source:
        raise Rejected("empty", "empty conversation: the reference skips it (main.py line 80-81)")
    first = source[0].get("from")
    if first not in SHAREGPT_ROLES:
        raise Rejected("unknown_role", f"message 0 has from={first!r}: KeyError at main.py line 82, run aborts")
    if SHAREGPT_ROLES[first] != "user":
        source = source[1:]
    for j, sentence in enumerate(source):
        speaker = sentence.get("from")
        if speaker not in SHAREGPT_ROLES:
            raise Rejected("unknown_role", f"from={speaker!r}: KeyError at main.py line 86, run aborts")
        role = SHAREGPT_ROLES[speaker]
        if role != ALTERNATION[j % 2]:
            raise Rejected("role_alternation",
                           f"message {j} (after role rules) is {role}, expected {ALTERNATION[j % 2]}: "
                           "AssertionError at main.py line 87, run aborts")
        messages.append({"role": role, "content": sentence["value"]})
    return messages


# --- step 2: render (main.py lines 93-97) ----------------------------------------------------------------------

def render_conversation(tokenizer, messages: list[dict], *, add_generation_prompt: bool = False,
                        expect_date: str | None = "26 Jul 2024") -> str:
    """``tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)`` as in lines
    93-97 (``date_string`` never passed: the Llama-3.1 template's default "26 Jul 2024" applies; checked)."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    if expect_date is not None and f"Today Date: {expect_date}\n" not in text:
        raise RuntimeError(f"template did not render the pinned date {expect_date!r}; it depends on the clock")
    return text


# --- step 3: length filter (main.py lines 102-109) ----------------------------------------------------------------

def too_long(ids: list[int]) -> bool:
    """Lines 107-109: ``len(input_ids) > max_len`` -> the record is skipped (not truncated); 2048 is kept."""
    return len(ids) > MAX_LEN


# --- step 4: the string-split loss mask (main.py lines 110-151) ---------------------------------------------------

def _zero(mask: list[int], start: int, stop: int | None) -> None:
    """``mask[start:stop] = 0`` with Python/torch slice semantics (negative indices wrap, bounds clamp), as the
    upstream tensor slice assignments do."""
    for t in range(*slice(start, stop).indices(len(mask))):
        mask[t] = 0


def split_into_user_turns(conversation: str) -> list[str]:
    """Lines 117-121: split the rendered text on ``USER_OPENING``; glue the system block (piece 0) back onto the
    first user turn, so piece ``i`` = user turn ``i`` with the assistant answer after it.  Pieces after the first
    start with the ``"\\n\\n"`` that ends the user header; the closing ``<|eot_id|>`` of a turn belongs to the
    separator, except for the conversation's last piece, which keeps it.  With no user header at all (no user
    message) upstream indexes ``turns[1]`` out of range (IndexError; the run aborts) -> ``Rejected``."""
    pieces = conversation.split(USER_OPENING)
    if len(pieces) < 2:
        raise Rejected("empty_after_role_rules",
                       "no user turn after the role rules: IndexError at main.py line 120, run aborts")
    return [pieces[0] + USER_OPENING + pieces[1]] + pieces[2:]


def reference_loss_mask(tokenizer, conversation: str, length: int) -> list[int]:
    """The reference mask of a rendered conversation whose full encoding has ``length`` tokens (lines 110-151).

    The mask starts all ones (110).  A cursor starts at 1 and position 0 (BOS) is cleared (123-124).  For each
    user-turn piece ``i`` (loop 125-144):
      * an empty piece stops the loop (126-127);
      * ``n`` = reference token count of the piece (128; includes one added BOS);
      * the piece must contain ``ASSISTANT_OPENING`` exactly once, else the loop stops (130-132: a user-ending
        conversation stops here on its last piece);
      * ``h`` = reference token count of the piece up to and including ``ASSISTANT_OPENING``, minus 1 (133-135);
      * piece 0 clears ``[cursor, cursor + h - 2)``; later pieces clear ``[cursor - 3, cursor + h + 1)``
        (137-141): the user text, the headers around it, and the closing tokens of the previous answer;
      * the cursor advances by ``n``, plus 3 for pieces after the first (142-144).
    Finally everything from the cursor on is cleared (151).  The ones left are the supervised positions.
    Offsets are correct only when the pieces tokenize to the same tokens as inside the full text."""
    mask = [1] * length
    pieces = split_into_user_turns(conversation)
    cursor = 1
    _zero(mask, 0, cursor)
    for index, piece in enumerate(pieces):
        if piece == "":
            break
        piece_tokens = count_tokens_as_reference(tokenizer, piece)
        halves = piece.split(ASSISTANT_OPENING)
        if len(halves) != 2:
            break
        header_tokens = count_tokens_as_reference(tokenizer, halves[0] + ASSISTANT_OPENING) - 1
        if index == 0:
            _zero(mask, cursor, cursor + header_tokens - 2)
        else:
            _zero(mask, cursor - 3, cursor + header_tokens + 1)
        cursor += piece_tokens
        if index != 0:
            cursor += 3
    _zero(mask, cursor, None)
    return mask


@dataclass
class Sample:
    ids: list[int] | None = None
    loss_mask: list[int] | None = None
    rejected: Rejected | None = None
    dropped_length: int | None = None

    def golden(self, line: int) -> dict:
        if self.rejected is not None:
            return {"line": line, "rejected": self.rejected.code, "detail": self.rejected.detail}
        if self.dropped_length is not None:
            return {"line": line, "dropped": "too_long", "length": self.dropped_length}
        return {"line": line, "ids": self.ids, "loss_mask": self.loss_mask}


def reference_sample(tokenizer, source: list[dict]) -> Sample:
    """One record through the whole reference procedure: steps 1-4 above (lines 73-151)."""
    try:
        messages = reference_messages(source)
        conversation = render_conversation(tokenizer, messages)
        ids = encode_plain(tokenizer, conversation)
        if too_long(ids):
            return Sample(dropped_length=len(ids))
        return Sample(ids=ids, loss_mask=reference_loss_mask(tokenizer, conversation, len(ids)))
    except Rejected as r:
        return Sample(rejected=r)


# --- SPEC §3: template-independent reproduction (the thing being checked) ---------------------------------------

def assistant_spans(tokenizer, messages: list[dict], ids: list[int], eot_id: int,
                    render: Callable[..., str]) -> list[tuple[int, int]]:
    """SPEC §3: for assistant message ``m``, ``s`` = token count of the render of ``messages[:m]`` with
    ``add_generation_prompt=True`` (must be a token prefix of ``ids``, else ``prefix_not_additive``); ``e + 1`` =
    first index >= s holding ``eot_id`` (else ``no_end_of_turn``).  Returns ``[(s, e), ...]``."""
    spans = []
    for m, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prefix = encode_plain(tokenizer, render(tokenizer, messages[:m], add_generation_prompt=True))
        if ids[:len(prefix)] != prefix:
            raise Rejected("prefix_not_additive", f"render before message {m} is not a token prefix")
        s = len(prefix)
        try:
            eot = ids.index(eot_id, s)
        except ValueError:
            raise Rejected("no_end_of_turn", f"no end-of-turn {eot_id} after assistant message {m}") from None
        spans.append((s, eot - 1))
    return spans


def spec_table_mask(length: int, spans: list[tuple[int, int]], ends_with_assistant: bool) -> list[int]:
    """SPEC §3 reference-mode table: ``[s_j-1, e_j-1]`` for j < J; the final turn ``[s_J-1, L-1]`` when the
    conversation ends with it, else ``[s_J-1, e_J+2]``."""
    mask = [0] * length
    for j, (s, e) in enumerate(spans):
        if j == len(spans) - 1:
            hi = length - 1 if ends_with_assistant else e + 2
        else:
            hi = e - 1
        for t in range(max(s - 1, 0), min(hi, length - 1) + 1):
            mask[t] = 1
    return mask


def assistant_mode_mask(length: int, spans: list[tuple[int, int]]) -> list[int]:
    """SPEC §3 ``assistant`` mode: ``A[u] = 1`` on ``[s_j, e_j + 1]`` for every assistant turn;
    ``loss_mask[t] = A[t+1] * A[t+2]`` (indices >= L read as 0)."""
    a = [0] * (length + 2)
    for s, e in spans:
        for u in range(s, min(e + 1, length - 1) + 1):
            a[u] = 1
    return [a[t + 1] & a[t + 2] for t in range(length)]


def spec_sample(tokenizer, source: list[dict], *, eot_id: int, mode: str, system_prompt: str | None,
                render: Callable[..., str], require_alternation: bool = True) -> Sample:
    """One record through SPEC §2-§3 (prefix-render spans + table or assistant mode)."""
    try:
        if require_alternation:
            messages = reference_messages(source, system_prompt)
            if not any(m["role"] == "user" for m in messages):  # SPEC §2: empty after the drop -> reject
                raise Rejected("empty_after_role_rules", "no message left after dropping the first one")
        else:
            if not source:
                raise Rejected("empty", "empty conversation")
            messages = ([] if system_prompt is None else [{"role": "system", "content": system_prompt}])
            for msg in source:
                if msg.get("from") not in SHAREGPT_ROLES:
                    raise Rejected("unknown_role", f"from={msg.get('from')!r}")
                messages.append({"role": SHAREGPT_ROLES[msg["from"]], "content": msg["value"]})
        ids = encode_plain(tokenizer, render(tokenizer, messages))
        if too_long(ids):  # the reference's order: the length filter comes before any mask work
            return Sample(dropped_length=len(ids))
        spans = assistant_spans(tokenizer, messages, ids, eot_id, render)
        if mode == "reference":
            mask = spec_table_mask(len(ids), spans, messages[-1]["role"] == "assistant")
        else:
            mask = assistant_mode_mask(len(ids), spans)
        return Sample(ids=ids, loss_mask=mask)
    except Rejected as r:
        return Sample(rejected=r)


# --- inputs ---------------------------------------------------------------------------------------------------

#: (file, golden stem, how to turn a record into a ShareGPT ``conversations`` list)
def _sharegpt(record: dict) -> list[dict]:
    return record["conversations"]


def _messages_to_sharegpt(record: dict) -> list[dict]:
    """OpenAI ``messages`` -> ShareGPT: user -> human, assistant -> gpt; any other role is kept verbatim (and then
    rejected by the role rules, as the reference's role map would)."""
    names = {"user": "human", "assistant": "gpt"}
    return [{"from": names.get(m["role"], m["role"]), "value": m["content"]} for m in record["messages"]]


def _dpo_chosen(record: dict) -> list[dict]:
    """LLaMA-Factory DPO: the conversation with the ``chosen`` answer appended as a gpt turn."""
    return list(record["conversations"]) + [record["chosen"]]


EDGE_INPUT = "edge_cases.input.jsonl"

INPUTS = [
    ("mt_bench_llama2chat70b.messages.jsonl", "mt_bench_llama2chat70b", _messages_to_sharegpt),
    ("llamafactory_dpo_en_demo.json", "llamafactory_dpo_en_demo", _dpo_chosen),
    ("llamafactory_glaive_toolcall_en_demo.json", "llamafactory_glaive_toolcall_en_demo", _sharegpt),
    ("fastchat_dummy_conversation.sharegpt.json", "fastchat_dummy_conversation", _sharegpt),
]


def _h(text: str) -> dict:
    return {"from": "human", "value": text}


def _g(text: str) -> dict:
    return {"from": "gpt", "value": text}


def _filler(n: int) -> str:
    """``n`` Llama-3 tokens: "a" then ``n - 1`` times " a" (one token each)."""
    return "a" + " a" * (n - 1)


#: Hand-written conversations that probe the reference's corner cases (written to ``edge_cases.input.jsonl``;
#: ShareGPT).  Comments say what each probes.  The two long ones render to exactly 2048 / 2049 tokens with the
#: reference system prompt (138 + n tokens for a one-pair conversation "Hi" / _filler(n)).
EDGE_CASES: list[tuple[str, list[dict]]] = [
    ("one pair", [_h("Hi"), _g("Hello there!")]),
    ("two pairs", [_h("What is 2+2?"), _g("4."), _h("And 3+3?"), _g("6.")]),
    ("four pairs", [_h("a"), _g("b"), _h("c"), _g("d"), _h("e"), _g("f"), _h("g"), _g("h")]),
    ("ends with a user turn", [_h("Hi"), _g("Hello."), _h("Bye?")]),
    ("user turn only (J = 0)", [_h("Just a question, no answer.")]),
    ("first message gpt: dropped once", [_g("I speak first."), _h("Hi"), _g("Hello.")]),
    ("gpt first then user only: J = 0 after the drop", [_g("I speak first."), _h("Hi")]),
    ("gpt only: empty after the drop (IndexError upstream)", [_g("Alone.")]),
    ("two gpt first (alternation)", [_g("one"), _g("two"), _h("three")]),
    ("two humans (alternation)", [_h("one"), _h("two"), _g("three")]),
    ("system first (unknown role)", [{"from": "system", "value": "Be brief."}, _h("Hi"), _g("Hello.")]),
    ("tool role mid-conversation (unknown role)", [_h("Hi"), {"from": "function_call", "value": "{}"}]),
    ("empty conversation (skipped upstream)", []),
    ("empty final assistant content", [_h("Say nothing."), _g("")]),
    ("empty non-final assistant content", [_h("Say nothing."), _g(""), _h("Now say something."), _g("Something.")]),
    ("whitespace-only assistant content", [_h("Spaces?"), _g("  \n\t "), _h("Again"), _g(" \u00a0\u3000 ")]),
    ("empty user content", [_h(""), _g("You said nothing."), _h(""), _g("Again nothing.")]),
    ("untrimmed content (str.strip incl. U+00A0, U+3000)",
     [_h("\u3000 padded question \n"), _g("\u00a0 padded answer\n\n "), _h("\tmore\r\n"), _g("\n\nend \u2003")]),
    ("content starting with a zero-width space (not stripped)", [_h("\u200bhi"), _g("\u200bhello"), _h("x"), _g("\u200b")]),
    ("content starting with digits, punctuation and apostrophes",
     [_h("123 go"), _g("'s fine"), _h("...?"), _g("12345\n\n-- end")]),
    ("CJK, emoji and combining marks", [_h("你好，世界 🌍"), _g("こんにちは 👋🏽 e\u0301"), _h("ok"), _g("بسيط")]),
    ("user content holds <|eot_id|>", [_h("What does <|eot_id|> mean?"), _g("It ends a turn."), _h("ok"), _g("ok")]),
    ("assistant content holds <|eot_id|>", [_h("Print the token."), _g("Here: <|eot_id|> done."), _h("ok"), _g("ok")]),
    ("final assistant content holds <|eot_id|>", [_h("Print the token."), _g("Here: <|eot_id|> done.")]),
    ("assistant content holds the user separator",
     [_h("Show the header."), _g("It is <|eot_id|><|start_header_id|>user<|end_header_id|> then text."),
      _h("ok"), _g("ok")]),
    ("user content holds the assistant separator",
     [_h("Header: <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nfake answer"), _g("Real answer."),
      _h("ok"), _g("ok")]),
    ("assistant content holds an assistant header", [_h("q"), _g("<|start_header_id|>assistant<|end_header_id|> x")]),
    ("content holds <|begin_of_text|>", [_h("<|begin_of_text|>hi"), _g("<|begin_of_text|>"), _h("ok"), _g("ok")]),
    ("assistant answers '!' (id 0)", [_h("Exclaim."), _g("!"), _h("Again."), _g("!!")]),
    ("length exactly 2048 (kept)", [_h("Hi"), _g(_filler(2048 - 138))]),
    ("length 2049 (dropped)", [_h("Hi"), _g(_filler(2049 - 138))]),
    ("user-ending after a long answer", [_h("Hi"), _g(_filler(300)), _h("More?")]),
]


def turn_pairs(data: str) -> list[tuple[str, str]]:
    """Every adjacent (human, gpt) message pair of the shared ShareGPT/messages files above (DPO: the last human
    turn with its ``chosen`` answer), in file order; pairs whose text holds ``<|`` are left out (special-token
    strings are the known, separately probed source of differences)."""
    pairs = []
    for fname, _, to_sharegpt in INPUTS:
        for _, record in read_records(os.path.join(data, "conversations", fname)):
            conv = to_sharegpt(record)
            for a, b in zip(conv, conv[1:]):
                if a.get("from") == "human" and b.get("from") == "gpt" and "<|" not in a["value"] + b["value"]:
                    pairs.append((a["value"], b["value"]))
    return pairs


def random_conversations(data: str, count: int, seed: int = 20251) -> list[list[dict]]:
    """``count`` seeded random ShareGPT conversations recombined from ``turn_pairs``: 1-4 pairs; 20% end with a
    user turn; 10% open with a gpt turn (dropped by the role rules); per message 5% empty content, 10% a random
    prefix of the text (cut mid-word), 15% padded with random whitespace (incl. U+00A0, U+3000, CR LF) that the
    template's ``trim`` removes."""
    import random

    rng = random.Random(seed)
    pairs = turn_pairs(data)
    pads = [" ", "  ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", " \n "]

    def perturb(text: str) -> str:
        r = rng.random()
        if r < 0.05:
            return ""
        if r < 0.15 and text:
            text = text[:rng.randrange(len(text) + 1)]
        if rng.random() < 0.15:
            text = rng.choice(pads) + text + rng.choice(pads)
        return text

    out = []
    for _ in range(count):
        conv = []
        if rng.random() < 0.10:
            conv.append(_g(perturb(rng.choice(pairs)[1])))
        for _ in range(rng.randint(1, 4)):
            h, g = rng.choice(pairs)
            conv += [_h(perturb(h)), _g(perturb(g))]
        if rng.random() < 0.20:
            conv.pop()
        out.append(conv)
    return out


def read_records(path: str) -> list[tuple[int, dict]]:
    """``[(line, record)]``: JSONL -> 1-based line numbers (blank lines skipped, numbering kept); a JSON array
    -> index + 1."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return [(i + 1, r) for i, r in enumerate(json.loads(text))]
    out = []
    for i, line in enumerate(text.split("\n")):
        if line.strip():
            out.append((i + 1, json.loads(line)))
    return out


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_zst_jsonl(path: str, rows: Iterable[dict]) -> int:
    """Writes ``rows`` as compact JSONL (``ensure_ascii=False``, ``"\\n"`` after each line), zstd -19 via the
    ``zstd`` command (deterministic: no checksum-of-time, single frame).  Returns the compressed size."""
    payload = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode()
    proc = subprocess.run(["zstd", "-19", "-q", "-c", "--no-progress"], input=payload, stdout=subprocess.PIPE,
                          check=True)
    with open(path, "wb") as f:
        f.write(proc.stdout)
    return len(proc.stdout)


# --- commands -------------------------------------------------------------------------------------------------

def _render_llama31(tokenizer, messages, add_generation_prompt=False):
    return render_conversation(tokenizer, messages, add_generation_prompt=add_generation_prompt)


def _render_plain(tokenizer, messages, add_generation_prompt=False):
    return render_conversation(tokenizer, messages, add_generation_prompt=add_generation_prompt, expect_date=None)


def _describe_diff(a: Sample, b: Sample) -> str:
    if (a.rejected is None) != (b.rejected is None) or (a.dropped_length is None) != (b.dropped_length is None):
        ka = a.rejected.code if a.rejected else ("dropped" if a.dropped_length is not None else "sample")
        kb = b.rejected.code if b.rejected else ("dropped" if b.dropped_length is not None else "sample")
        return f"outcome reference={ka} spec={kb}"
    if a.ids != b.ids:
        return "ids differ"
    diff = [t for t, (x, y) in enumerate(zip(a.loss_mask, b.loss_mask)) if x != y]
    return f"mask differs at positions {diff[:20]} (L={len(a.ids)}; reference={[a.loss_mask[t] for t in diff[:20]]})"


def cross_check(tokenizer, records: list[tuple[int, list[dict]]], name: str, ref_samples: dict[int, Sample]) -> dict:
    """Reference procedure vs SPEC §3 table on every record; returns counts and the first mismatches."""
    mismatches = []
    for line, source in records:
        a = ref_samples[line]
        b = spec_sample(tokenizer, source, eot_id=LLAMA3_EOT, mode="reference",
                        system_prompt=REFERENCE_SYSTEM_PROMPT, render=_render_llama31)
        same = (a.ids == b.ids and a.loss_mask == b.loss_mask and a.dropped_length == b.dropped_length
                and (a.rejected is None) == (b.rejected is None)
                and (a.rejected is None or a.rejected.code == b.rejected.code))
        if not same:
            mismatches.append({"line": line, "what": _describe_diff(a, b)})
    return {"records": len(records), "mismatches": len(mismatches), "first_mismatches": mismatches[:10]}


def outcome_counts(samples: Iterable[Sample]) -> dict:
    counts: dict[str, int] = {}
    for s in samples:
        key = "kept" if s.ids is not None else ("dropped_too_long" if s.dropped_length is not None
                                                else "rejected_" + s.rejected.code)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def special_in_content(tokenizer, source: list[dict]) -> bool:
    specials = [t for t in tokenizer.all_special_tokens] + [str(t) for t in tokenizer.added_tokens_decoder.values()]
    return any(isinstance(m.get("value"), str) and any(s in m["value"] for s in specials) for m in source)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", nargs="?", default="goldens", choices=["goldens", "check"])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--per-file", type=int, default=0,
                    help="goldens keep only the first N records of each input file (0: all; the cross-check "
                         "always uses all)")
    ap.add_argument("--random", type=int, default=2000,
                    help="also cross-check this many seeded random recombined conversations (0: none)")
    args = ap.parse_args(argv)

    import tokenizers
    import transformers

    conv_dir = os.path.join(args.data, "conversations")
    llama = load_llama31_reference_tokenizer(args.data)
    manifest = {
        "upstream": UPSTREAM,
        "generator": "pipelines/reference/mask_reference.py",
        "versions": {"python": sys.version.split()[0], "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__},
        "max_len": MAX_LEN,
        "per_file": args.per_file,
        "reference_mode": {"tokenizer": "tokenizers/llama-3.2/tokenizer.json",
                           "template": "chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja",
                           "date": "26 Jul 2024", "system_prompt": "reference fixed (main.py line 75)",
                           "files": {}},
        "cross_check_spec_table": {},
        "assistant_mode": {},
    }
    if args.command == "goldens":
        os.makedirs(args.out, exist_ok=True)

    # The hand-written corner cases, written as an input file next to their goldens (ShareGPT JSONL).
    edge_path = os.path.join(args.out if args.command == "goldens" else "/nonexistent", EDGE_INPUT)
    edge_text = "".join(json.dumps({"id": f"edge-{i + 1}", "note": note, "conversations": conv}, ensure_ascii=False)
                        + "\n" for i, (note, conv) in enumerate(EDGE_CASES))
    if args.command == "goldens":
        with open(edge_path, "w", encoding="utf-8") as f:
            f.write(edge_text)
    edge_records = [(i + 1, json.loads(line)["conversations"]) for i, line in enumerate(edge_text.splitlines())]

    total_mismatch = 0
    mt_bench_sources = None
    for fname, stem, to_sharegpt in INPUTS + [(None, "edge_cases", None)]:
        if fname is None:
            path, records = edge_path, edge_records
            fname_label = EDGE_INPUT
        else:
            path = os.path.join(conv_dir, fname)
            records = [(line, to_sharegpt(r)) for line, r in read_records(path)]
            fname_label = f"conversations/{fname}"
        if stem == "mt_bench_llama2chat70b":
            mt_bench_sources = records
        samples = {line: reference_sample(llama, src) for line, src in records}
        check = cross_check(llama, records, stem, samples)
        total_mismatch += check["mismatches"]
        manifest["cross_check_spec_table"][stem] = check
        kept = records[:args.per_file] if args.per_file > 0 else records
        entry = {"input": fname_label,
                 "sha256": hashlib.sha256(edge_text.encode()).hexdigest() if fname is None else sha256_file(path),
                 "records": len(records),
                 "golden_records": len(kept), "counts_all": outcome_counts(samples.values()),
                 "counts_golden": outcome_counts(samples[l] for l, _ in kept),
                 "special_tokens_in_content": sum(special_in_content(llama, s) for _, s in records)}
        if args.command == "goldens":
            out = os.path.join(args.out, f"{stem}.jsonl.zst")
            entry["golden"] = os.path.basename(out)
            entry["golden_bytes"] = write_zst_jsonl(out, (samples[l].golden(l) for l, _ in kept))
        manifest["reference_mode"]["files"][stem] = entry
        print(f"{stem}: {entry['counts_all']}; spec-table mismatches {check['mismatches']}/{check['records']}",
              file=sys.stderr)
        for m in check["first_mismatches"]:
            print(f"  line {m['line']}: {m['what']}", file=sys.stderr)

    # SPEC-derived assistant-mode goldens (MT-bench, no system message).
    smol_dir = os.path.join(args.data, "models", "smollm2-135m-instruct")
    with open(os.path.join(smol_dir, "chat_template.jinja"), encoding="utf-8") as f:
        smol_template = f.read()
    smol = load_tokenizer(os.path.join(smol_dir, "tokenizer.json"), smol_template,
                          bos="<|im_start|>", eos="<|im_end|>", unk="<|endoftext|>", pad="<|im_end|>")
    l2_dir = os.path.join(args.data, "tokenizers", "llama-2")
    with open(os.path.join(l2_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        l2_template = json.load(f)["chat_template"]
    llama2 = load_tokenizer(os.path.join(l2_dir, "tokenizer.json"), l2_template, bos="<s>", eos="</s>", unk="<unk>")
    # transformers 5 does not use this tokenizer.json as is for tokenizer_class LlamaTokenizer: it rebuilds the
    # pipeline (Metaspace pre-tokenizer, prepend_scheme "first", no Prepend normalizer), and then "</s>" after a
    # word is matched as the special token 2.  Kept as a second, clearly named golden (see README).
    from transformers import AutoTokenizer

    llama2_hf = AutoTokenizer.from_pretrained(l2_dir)
    llama2_hf.chat_template = l2_template
    variants = [
        ("smollm2", smol, "<|im_end|>", "models/smollm2-135m-instruct/tokenizer.json",
         "models/smollm2-135m-instruct/chat_template.jinja"),
        ("llama-2", llama2, "</s>", "tokenizers/llama-2/tokenizer.json",
         "tokenizers/llama-2/tokenizer_config.json#chat_template"),
        ("llama-2-transformers", llama2_hf, "</s>",
         f"tokenizers/llama-2 via transformers AutoTokenizer ({type(llama2_hf).__name__})",
         "tokenizers/llama-2/tokenizer_config.json#chat_template"),
    ]
    for name, tok, eot, tokenizer_path, template_path in variants:
        eot_id = tok.convert_tokens_to_ids(eot)
        samples = [(line, spec_sample(tok, src, eot_id=eot_id, mode="assistant", system_prompt=None,
                                      render=_render_plain, require_alternation=False))
                   for line, src in mt_bench_sources]
        entry = {"derivation": "SPEC §3 (prefix-render spans, assistant mode), not the reference's code",
                 "tokenizer": tokenizer_path, "template": template_path, "end_of_turn": eot, "end_of_turn_id": eot_id,
                 "system_prompt": "none", "records": len(samples),
                 "counts": outcome_counts(s for _, s in samples)}
        if args.command == "goldens":
            out = os.path.join(args.out, f"assistant-{name}-mt_bench.jsonl.zst")
            entry["golden"] = os.path.basename(out)
            entry["golden_bytes"] = write_zst_jsonl(out, (s.golden(l) for l, s in samples))
        manifest["assistant_mode"][name] = entry
        print(f"assistant-{name}-mt_bench: {entry['counts']}", file=sys.stderr)

    if args.random:
        records = list(enumerate(random_conversations(args.data, args.random), start=1))
        samples = {line: reference_sample(llama, src) for line, src in records}
        check = cross_check(llama, records, "random", samples)
        check["counts"] = outcome_counts(samples.values())
        check["generator"] = f"random_conversations(data, {args.random}, seed=20251)"
        total_mismatch += check["mismatches"]
        manifest["cross_check_spec_table"]["random"] = check
        print(f"random: {check['counts']}; spec-table mismatches {check['mismatches']}/{check['records']}",
              file=sys.stderr)
        for m in check["first_mismatches"]:
            print(f"  {m['line']}: {m['what']}", file=sys.stderr)

    manifest["cross_check_total_mismatches"] = total_mismatch
    print(f"TOTAL reference-vs-SPEC-table mismatches: {total_mismatch}", file=sys.stderr)
    if args.command == "goldens":
        with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
