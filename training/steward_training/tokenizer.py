"""The BERT uncased WordPiece tokenizer, built from a ``vocab.txt`` only.

Serving tokenizes with the same ``vocab.txt`` (one token a line, the id is the line
number), lower-casing and stripping accents. transformers 5 silently ignores a
``vocab_file=`` argument to ``BertTokenizer`` (it builds a 5-token vocabulary and
maps everything to ``[UNK]``), so the vocabulary is read here and passed as a dict,
and the special ids are checked.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def read_vocab(path: Path) -> dict[str, int]:
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for index, line in enumerate(f):
            vocab.setdefault(line.rstrip("\n"), index)
    missing = [t for t in SPECIAL_TOKENS if t not in vocab]
    if missing:
        raise ValueError(f"{path}: not a BERT vocabulary (missing {', '.join(missing)})")
    return vocab


def load_tokenizer(vocab_path: Path):
    from transformers import BertTokenizer

    vocab = read_vocab(Path(vocab_path))
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True)
    if tokenizer.unk_token_id != vocab["[UNK]"] or tokenizer.cls_token_id != vocab["[CLS]"]:
        raise RuntimeError(f"{vocab_path}: tokenizer special ids do not match the vocabulary")
    return tokenizer
