"""Text features that serving logs per prediction, and their reference profile.

The Swift side (`Serving` logs the features, `Monitor` computes PSI) must compute
the same numbers, so every definition here is stated in terms that do not depend
on Python:

- ``char_length``: number of Unicode scalar values (code points) in the text
  (Swift: ``text.unicodeScalars.count``; not grapheme clusters).
- ``word_count``: number of maximal runs of scalars that are not Unicode
  ``White_Space`` (the set in ``WHITE_SPACE`` below; Python's ``str.split`` is not
  used because it also splits on U+001C..U+001F).
- ``oov_share``: share of WordPiece tokens of the whole text (no special tokens,
  no truncation) that are ``[UNK]``; 0 when the text has no tokens.
- ``non_letter_share``: share of scalars whose Unicode general category is not a
  letter (``Lu Ll Lt Lm Lo``), whitespace included; 0 for the empty text.

Reference profile: for each feature, the inner bin edges are the reference
sample's 10%..90% quantiles (numpy's default linear interpolation), with repeated
edges removed, so a feature has ``len(edges) + 1`` bins (fewer than 10 when the
feature is discrete, e.g. ``oov_share`` is mostly 0). A value ``v`` falls in bin
``i`` = the number of edges strictly below ``v``: bins are right-closed,
``(-inf, e0], (e0, e1], ..., (e_last, +inf)`` (numpy:
``searchsorted(edges, v, side="left")``). Shares are the raw reference shares;
smoothing of empty bins is the monitor's business.
"""

from __future__ import annotations

import unicodedata
from typing import Iterable, Sequence

import numpy as np

FEATURES = ("char_length", "word_count", "oov_share", "non_letter_share")
PROFILE_BINS = 10

# Unicode White_Space property (PropList.txt).
WHITE_SPACE = frozenset(
    [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
     0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)


def char_length(text: str) -> int:
    return len(text)


def word_count(text: str) -> int:
    count, in_word = 0, False
    for ch in text:
        if ord(ch) in WHITE_SPACE:
            in_word = False
        elif not in_word:
            in_word, count = True, count + 1
    return count


def non_letter_share(text: str) -> float:
    if not text:
        return 0.0
    letters = sum(1 for ch in text if unicodedata.category(ch)[0] == "L")
    return (len(text) - letters) / len(text)


def oov_shares(texts: Sequence[str], tokenizer) -> list[float]:
    """``oov_share`` for each text, with a BERT WordPiece tokenizer."""
    unk = tokenizer.unk_token_id
    encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
    return [(sum(1 for i in ids if i == unk) / len(ids)) if ids else 0.0 for ids in encoded]


def text_features(texts: Sequence[str], tokenizer) -> dict[str, np.ndarray]:
    texts = list(texts)
    return {
        "char_length": np.array([char_length(t) for t in texts], dtype=np.float64),
        "word_count": np.array([word_count(t) for t in texts], dtype=np.float64),
        "oov_share": np.array(oov_shares(texts, tokenizer), dtype=np.float64),
        "non_letter_share": np.array([non_letter_share(t) for t in texts], dtype=np.float64),
    }


def quantile_edges(values: np.ndarray, bins: int = PROFILE_BINS) -> list[float]:
    qs = np.quantile(values, [i / bins for i in range(1, bins)])
    edges: list[float] = []
    for q in qs:
        if not edges or q > edges[-1]:
            edges.append(float(q))
    return edges


def bin_index(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")


def bin_shares(values: np.ndarray, edges: Sequence[float]) -> list[float]:
    counts = np.bincount(bin_index(values, edges), minlength=len(edges) + 1)
    return [float(c) / len(values) for c in counts]


def feature_profile(values: np.ndarray, bins: int = PROFILE_BINS) -> dict:
    values = np.asarray(values, dtype=np.float64)
    edges = quantile_edges(values, bins)
    counts = np.bincount(bin_index(values, edges), minlength=len(edges) + 1)
    return {
        "edges": edges,
        "counts": [int(c) for c in counts],
        "shares": [float(c) / len(values) for c in counts],
        "n": int(len(values)),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def categorical_profile(labels: Iterable[str], categories: Sequence[str]) -> dict:
    labels = list(labels)
    counts = [sum(1 for x in labels if x == c) for c in categories]
    return {
        "categories": list(categories),
        "counts": counts,
        "shares": [c / len(labels) for c in counts],
        "n": len(labels),
    }


def reference_profile(texts: Sequence[str], tokenizer, source: str) -> dict:
    """The profile the monitor compares serving windows with (JSON-able)."""
    feats = text_features(texts, tokenizer)
    return {
        "format": 1,
        "source": source,
        "binning": "reference-quantile",
        "bins": PROFILE_BINS,
        "bin_rule": "bin = number of edges < value (right-closed bins)",
        "features": {name: feature_profile(feats[name]) for name in FEATURES},
    }


def psi(reference_shares: Sequence[float], current_shares: Sequence[float], eps: float = 1e-4) -> float:
    """PSI with empty shares replaced by ``eps``; used by tests and the drift demo."""
    r = np.maximum(np.asarray(reference_shares, dtype=np.float64), eps)
    c = np.maximum(np.asarray(current_shares, dtype=np.float64), eps)
    return float(np.sum((r - c) * np.log(r / c)))
