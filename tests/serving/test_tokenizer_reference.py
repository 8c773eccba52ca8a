"""The table-driven tokenizer (tests/fixtures/bert_reference.py, the algorithm steward-serve
implements in Swift) gives Hugging Face's fast tokenizer's ids on random strings built from
every character class the table knows, and the fixture cases are consistent."""

from __future__ import annotations

import json
import random

import pytest

from bert_common import DEFAULT_VOCAB, MAX_LENGTH, fast_tokenizer, read_vocab
from bert_reference import ReferenceTokenizer
from support import GENERATED_FIXTURES


@pytest.fixture(scope="module")
def tokenizers(unicode_table):
    vocab = read_vocab(DEFAULT_VOCAB)
    return fast_tokenizer(DEFAULT_VOCAB), ReferenceTokenizer(unicode_table, vocab), vocab


def random_texts(table: dict, vocab: dict, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    # Code points from each class of the table, plus plain ranges and known edge cases.
    pool: list[int] = []
    for key in ("removed", "whitespace", "cjk", "punctuation"):
        for a, b in rng.sample(table[key], min(40, len(table[key]))):
            pool += [a, b, rng.randint(a, b)]
    pool += [cp for cp, _ in rng.sample(table["map"], 400)]
    pool += list(range(0x20, 0x250)) + list(range(0x300, 0x370)) + list(range(0x370, 0x530))
    pool += list(range(0x2000, 0x2070)) + list(range(0x1F300, 0x1F340)) + list(range(0xAC00, 0xAC20))
    pool += [0, 0x378, 0x2028, 0x2B820, 0x2B91F, 0x2B920, 0x166D, 0x2E52, 0x1734, 0xFFFD, 0xFEFF, 0x200D, 0x3A3]
    pool = [cp for cp in pool if not 0xD800 <= cp <= 0xDFFF]
    words = [w.replace("##", "") for w in rng.sample(list(vocab), 3000)] + ["[SEP]", "[CLS]", "[PAD]", "[MASK]", "[UNK]"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 30)):
            if rng.random() < 0.5:
                parts.append(rng.choice(words))
            else:
                parts.append("".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 8))))
        texts.append(("" if rng.random() < 0.3 else " ").join(parts))
    texts += ["a" * 100, "a" * 101, "e\u0301" * 100, "ΣΑΣ" * 40, " ".join(["the"] * 127)]
    return texts


def test_reference_equals_fast_tokenizer_on_random_strings(tokenizers, unicode_table):
    fast, ref, vocab = tokenizers
    table = json.loads(unicode_table.read_text(encoding="utf-8"))
    texts = random_texts(table, vocab, 4000, seed=20241126)
    want = fast(texts, truncation=True, max_length=MAX_LENGTH)["input_ids"]
    bad = [(t, w, ref.encode(t, MAX_LENGTH)) for t, w in zip(texts, want) if ref.encode(t, MAX_LENGTH) != w]
    assert not bad, f"{len(bad)} of {len(texts)} differ, first: {bad[0][0]!r}\n" \
                    f"fast {fast.convert_ids_to_tokens(bad[0][1])}\nref  {fast.convert_ids_to_tokens(bad[0][2])}"


def test_normalizer_is_per_scalar(tokenizers):
    fast, ref, _ = tokenizers
    n = fast._tokenizer.normalizer
    for text in ["ΟΔΟΣ café 中文 \u2028 x\u200by İ ﬁ Å\u030a 한국어 \U0002b820 \x00\x85", "e\u0301\u0327 \u1e09"]:
        assert n.normalize_str(text) == ref.normalize(text)


def test_fixture_cases_file(tokenizers):
    path = GENERATED_FIXTURES / "tokenizer_cases.json"
    if not path.is_file():
        pytest.skip(f"{path} not generated (scripts/fixtures.sh)")
    fast, ref, vocab = tokenizers
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["max_length"] == MAX_LENGTH and len(doc["cases"]) >= 2000
    assert doc["special_ids"] == {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}
    for case in doc["cases"]:
        assert ref.encode(case["text"], MAX_LENGTH) == case["input_ids"], case["id"]
        assert case["attention_mask"] == [1] * len(case["input_ids"])
    b = doc["batch_padding"]
    width = max(len(ids) for ids in fast(b["texts"])["input_ids"])
    for text, ids, mask in zip(b["texts"], b["input_ids"], b["attention_mask"]):
        own = fast(text)["input_ids"]
        assert len(ids) == width and ids == own + [0] * (width - len(own))
        assert mask == [1] * len(own) + [0] * (width - len(own))
