"""Dataset validation: the report Steward stores with a dataset version.

A dataset that fails validation is never trained on. The checks are the ones the
Registry issue names: required columns, no empty text, labels in the allowed set,
label balance within a bound, duplicates counted (and refused past a bound).
Reports are plain dicts so they serialise to JSON unchanged.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping, Sequence

LABELS = ("negative", "positive")
REQUIRED_COLUMNS = ("text", "label")
SPLITS = ("train", "validation", "test")
# The optional fourth split of a version built from labelled production feedback.
PRODUCTION = "production"

MIN_LABEL_SHARE = 0.2
MAX_DUPLICATE_SHARE = 0.01


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def validate_rows(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, str]],
    labels: Sequence[str] = LABELS,
    min_label_share: float = MIN_LABEL_SHARE,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
) -> dict:
    rows = list(rows)
    errors: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    report = {
        "ok": False,
        "rows": len(rows),
        "columns": list(columns),
        "missing_columns": missing,
        "errors": errors,
    }
    if missing:
        errors.append(f"missing required column(s): {', '.join(missing)}")
        return report
    if not rows:
        errors.append("no rows")
        return report

    texts = [(r.get("text") or "") for r in rows]
    raw_labels = [(r.get("label") or "") for r in rows]
    empty = sum(1 for t in texts if not t.strip())
    label_counts = Counter(raw_labels)
    unknown = {k: v for k, v in sorted(label_counts.items()) if k not in labels}
    known_total = sum(label_counts.get(k, 0) for k in labels)
    shares = {k: (label_counts.get(k, 0) / known_total if known_total else 0.0) for k in labels}
    min_share = min(shares.values()) if shares else 0.0

    seen: dict[str, str] = {}
    duplicates = conflicting = 0
    for text, label in zip(texts, raw_labels):
        if text in seen:
            duplicates += 1
            if seen[text] != label:
                conflicting += 1
        else:
            seen[text] = label
    duplicate_share = duplicates / len(rows)

    if empty:
        errors.append(f"{empty} row(s) with empty text")
    if unknown:
        listed = ", ".join(f"{k!r} ({v})" for k, v in unknown.items())
        errors.append(f"unknown label(s): {listed}; allowed: {', '.join(labels)}")
    if min_share < min_label_share:
        errors.append(f"label balance out of bound: minority share {min_share:.3f} < {min_label_share}")
    if duplicate_share > max_duplicate_share:
        errors.append(
            f"{duplicates} duplicate text(s) ({duplicate_share:.1%}) exceed the bound of {max_duplicate_share:.1%}"
        )

    report.update(
        empty_text=empty,
        unknown_labels=unknown,
        label_counts={k: label_counts.get(k, 0) for k in labels},
        label_shares=shares,
        min_label_share=min_share,
        min_label_share_bound=min_label_share,
        duplicates=duplicates,
        conflicting_duplicates=conflicting,
        duplicate_share=duplicate_share,
        max_duplicate_share=max_duplicate_share,
        ok=not errors,
    )
    return report


def validate_dataset(directory: Path, **bounds) -> dict:
    """Validate every split of a dataset directory and the overlap between splits."""
    directory = Path(directory)
    errors: list[str] = []
    splits: dict[str, dict] = {}
    texts: dict[str, set[str]] = {}
    for split in SPLITS:
        path = directory / f"{split}.csv"
        if not path.is_file():
            errors.append(f"missing split file {path.name}")
            continue
        columns, rows = read_csv(path)
        report = validate_rows(columns, rows, **bounds)
        splits[split] = report
        errors.extend(f"{split}: {e}" for e in report["errors"])
        texts[split] = {r.get("text") or "" for r in rows}

    overlap = {}
    names = [s for s in SPLITS if s in texts]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            n = len(texts[a] & texts[b])
            overlap[f"{a}/{b}"] = n
            if n:
                errors.append(f"{n} text(s) appear in both {a} and {b}")
    return {"ok": not errors, "splits": splits, "cross_split_duplicates": overlap, "errors": errors}
