"""Feature definitions (which the Swift side reproduces) and the reference profile's binning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steward_training.features import (FEATURES, bin_index, bin_shares, char_length, feature_profile, non_letter_share,
                                       oov_shares, psi, quantile_edges, text_features, word_count)
from steward_training.validation import read_csv


def test_char_length_counts_code_points():
    assert char_length("") == 0
    assert char_length("😀") == 1
    assert char_length("\u00e9") == 1 and char_length("e\u0301") == 2  # composed vs combining accent
    assert char_length("👍🏽") == 2  # emoji + skin tone modifier: one grapheme, two scalars


def test_word_count_splits_on_unicode_white_space_only():
    assert word_count("") == 0 and word_count(" \t\n ") == 0
    assert word_count("  great   film ") == 2
    assert word_count("a\u00a0b\u3000c\u2009d") == 4  # NBSP, ideographic space, thin space
    assert word_count("a\x1cb") == 1  # Python's str.split() would say 2
    assert word_count("a\u200bb") == 1  # zero-width space is not White_Space


def test_non_letter_share():
    assert non_letter_share("") == 0.0
    assert non_letter_share("ab1 ") == 0.5
    assert non_letter_share("日本語") == 0.0
    assert non_letter_share("é!") == 0.5
    assert non_letter_share("e\u0301") == 0.5  # a combining mark is category Mn, not a letter


def test_oov_share_counts_unknown_wordpieces(tokenizer):
    shares = oov_shares(["hello 😀", "", "unbelievably good", "😀😀"], tokenizer)
    assert shares[0] == 0.5
    assert shares[1] == 0.0
    assert shares[2] == 0.0  # split into known pieces, not unknown
    assert shares[3] == 1.0


def test_quantile_bins_are_right_closed_deciles():
    values = np.arange(1000, dtype=float)
    edges = quantile_edges(values)
    assert len(edges) == 9
    assert bin_shares(values, edges) == pytest.approx([0.1] * 10)
    assert bin_index(np.array([edges[0], edges[0] + 1e-9, -5, 1e9]), edges).tolist() == [0, 1, 0, 9]


def test_discrete_feature_gets_fewer_bins():
    values = np.array([0.0] * 900 + [1.0] * 100)
    profile = feature_profile(values)
    assert profile["edges"] == [0.0, pytest.approx(0.1)]
    assert profile["shares"] == pytest.approx([0.9, 0.0, 0.1])
    assert sum(profile["counts"]) == 1000


def shares_against(profile, texts, tokenizer):
    feats = text_features(texts, tokenizer)
    return {f: bin_shares(feats[f], profile["features"][f]["edges"]) for f in FEATURES}


def test_reference_profile_separates_in_domain_from_tweets(dataset_dir, tweets_dir, tokenizer):
    profile = json.loads((dataset_dir / "profile.json").read_text())
    assert profile["binning"] == "reference-quantile" and profile["bins"] == 10
    for name in FEATURES:
        entry = profile["features"][name]
        assert entry["edges"] == sorted(set(entry["edges"]))
        assert len(entry["shares"]) == len(entry["edges"]) + 1
        assert sum(entry["shares"]) == pytest.approx(1.0)
    test_texts = [r["text"] for r in read_csv(dataset_dir / "test.csv")[1]]
    tweets = [r["text"] for r in read_csv(tweets_dir / "tweets.csv")[1]][:2000]
    same = {f: psi(profile["features"][f]["shares"], s) for f, s in shares_against(profile, test_texts, tokenizer).items()}
    shifted = {f: psi(profile["features"][f]["shares"], s) for f, s in shares_against(profile, tweets, tokenizer).items()}
    assert max(same.values()) < 0.05, same
    assert max(shifted.values()) > 0.2, shifted
