"""A dataset version built from a parent version and a model's labelled feedback
(`POST /api/v1/datasets/from-feedback`): what a drift retrain trains on.

Expected: hostile feedback texts (quotes, commas, newlines, CR, tabs, emoji, a leading '=')
come back byte for byte from the stored production split; a text labelled twice keeps its
newest label; two builders at once get two versions, never a 500; every refusal (unknown
parent or model, a parent that is one file, no feedback since the time, a bad time, missing
fields, a viewer) writes nothing: no dataset row, no folder, no audit row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from support import new_token
from support.checks import assert_refused

HOSTILE = [
    'a "quoted" text, with a comma',
    "two\nlines",
    "carriage\r\nreturn",
    "\ttabbed\t",
    "=HYPERLINK(\"x\")",
    "emoji \U0001F600 and accents éàü",
    "plain",
]


def _parent_folder(root: Path) -> Path:
    folder = root / f"parent-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    for split, offset in (("train", 0), ("validation", 1000), ("test", 2000)):
        rows = "".join(f"critic line {offset + i},{'positive' if i % 2 else 'negative'}\n" for i in range(40))
        (folder / f"{split}.csv").write_text("text,label\n" + rows, encoding="utf-8")
    return folder


@pytest.fixture
def built(make_stewardd, tmp_path):
    """A private stewardd that reads datasets under tmp_path/roots, with parent p@1 and model m."""
    roots = tmp_path / "roots"
    server = make_stewardd(env={"STEWARD_DATASET_ROOTS": str(roots)})
    parent = _parent_folder(roots)
    assert server.post("/api/v1/datasets", {"name": "p", "version": "1", "path": str(parent)}).status == 201
    assert server.post("/api/v1/models", {"name": "m"}).status == 201
    return server


def _label(server, text: str, label: str) -> None:
    answer = server.post("/api/v1/feedback", {"model": "m", "text": text, "label": label})
    assert answer.status == 201, answer


def _folder(record: dict) -> Path:
    return Path(unquote(urlsplit(record["uri"]).path))


def test_hostile_feedback_texts_come_back_byte_for_byte(built):
    for i, text in enumerate(HOSTILE):
        _label(built, text, "negative" if i % 2 else "positive")
    _label(built, "plain", "negative")  # labelled again: the newest label wins
    answer = built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"})
    assert answer.status == 201, answer
    record = answer.json()
    assert (record["name"], record["version"], record["parent"]) == ("p", "2", "p@1")
    assert record["sources"][1]["kind"] == "feedback" and record["sources"][1]["rows"] == len(HOSTILE)
    assert record["profile"]["source"] == "p@2/production"
    folder = _folder(record)
    with open(folder / "production.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = {text: ("negative" if i % 2 else "positive") for i, text in enumerate(HOSTILE)}
    expected["plain"] = "negative"
    assert {r["text"]: r["label"] for r in rows} == expected and len(rows) == len(HOSTILE)
    # The manifest's digests are the files' (the trainer refuses a version whose bytes differ).
    manifest = json.loads((folder / "manifest.json").read_text())
    digests = []
    for split in ("train", "validation", "test", "production"):
        digest = hashlib.sha256((folder / f"{split}.csv").read_bytes()).hexdigest()
        assert manifest["splits"][split]["sha256"] == digest
        digests.append(digest)
    assert manifest["sha256"] == hashlib.sha256("".join(digests).encode()).hexdigest() == record["sha256"]
    shown = built.get("/api/v1/datasets/p/1").json()
    assert shown["derived"] == ["p@2"] and shown["trained_by"] == []


def test_two_builders_at_once_get_two_versions(built):
    for text in ("one", "two", "three"):
        _label(built, text, "positive")
    answers = []

    def build():
        answers.append(built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"}))

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status for a in answers) == [201] * 4, answers
    assert sorted(a.json()["version"] for a in answers) == ["2", "3", "4", "5"]


def _count(server, table: str) -> int:
    import psycopg2

    with psycopg2.connect(server.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM steward.{table}")
        return cur.fetchone()[0]


def _state(server) -> tuple[int, int, set]:
    """Dataset rows, audit rows and what lies under the artifact root's datasets/."""
    datasets = server.artifact_root / "datasets"
    return (_count(server, "datasets"), _count(server, "audit_log"),
            {str(p.relative_to(datasets)) for p in datasets.rglob("*")} if datasets.exists() else set())


def _nothing_written(server, before: tuple[int, int, set]) -> None:
    assert _state(server) == before


@pytest.mark.parametrize("body, statuses", [
    ({"parent": "nope@1", "model": "m"}, (404,)),
    ({"parent": "p@1", "model": "nope"}, (404,)),
    ({"parent": "p@1", "model": "m", "since": "yesterday"}, (400,)),
    ({"parent": "p@1", "model": "m", "since": "2999-01-01T00:00:00Z"}, (400,)),  # no feedback since then
    ({"parent": "p1", "model": "m"}, (400,)),
    ({"model": "m"}, (400,)),
    ({"parent": "p@1"}, (400,)),
    ({"parent": ["p@1"], "model": "m"}, (400,)),
])
def test_refusals_write_nothing(built, body, statuses):
    _label(built, "some text", "positive")
    before = _state(built)
    assert_refused(built.post("/api/v1/datasets/from-feedback", body), statuses, shape="native", what=str(body))
    _nothing_written(built, before)


def test_a_parent_that_is_one_file_or_a_viewer_is_refused(built):
    _label(built, "some text", "positive")
    upload = built.put("/api/v1/datasets/single/1?format=csv",
                       b"text,label\n" + b"".join(b"row %d,positive\nrow %d b,negative\n" % (i, i) for i in range(20)),
                       content_type="text/csv")
    assert upload.status == 201, upload
    before = _state(built)
    code, message = assert_refused(built.post("/api/v1/datasets/from-feedback", {"parent": "single@1", "model": "m"}),
                                   (400,), shape="native")
    assert "not a folder" in message
    _nothing_written(built, before)
    viewer = new_token(built, "viewer")
    before = _state(built)
    assert_refused(built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"}, token=viewer),
                   (403,), shape="native")
    _nothing_written(built, before)


def test_a_parent_whose_files_changed_is_refused(built):
    _label(built, "some text", "positive")
    parent = Path(unquote(urlsplit(built.get("/api/v1/datasets/p/1").json()["uri"]).path))
    with open(parent / "train.csv", "a", encoding="utf-8") as f:
        f.write("a row added behind Steward's back,positive\n")
    before = _state(built)
    code, message = assert_refused(built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"}),
                                   (400,), shape="native")
    assert "changed since it was registered" in message
    _nothing_written(built, before)


def test_a_version_built_from_a_feedback_version_trains_on_its_feedback(built):
    _label(built, "first episode text", "positive")
    assert built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"}).status == 201
    _label(built, "second episode text", "negative")
    since = built.get("/api/v1/datasets/p/2").json()["sources"][1]["to"]
    third = built.post("/api/v1/datasets/from-feedback", {"parent": "p@2", "model": "m", "since": since})
    assert third.status == 201, third
    record = third.json()
    folder = _folder(record)
    with open(folder / "train.csv", newline="", encoding="utf-8") as f:
        train = list(csv.DictReader(f))
    with open(folder / "production.csv", newline="", encoding="utf-8") as f:
        production = list(csv.DictReader(f))
    # p@2's production rows are training rows of p@3; p@3's production split is the new feedback only.
    assert train[-1] == {"text": "first episode text", "label": "positive"} and len(train) == 41
    assert production == [{"text": "second episode text", "label": "negative"}]
    assert record["parent"] == "p@2" and record["rows"] == 40 * 3 + 2


def test_the_csv_reads_back_with_pythons_reader_too(built):
    _label(built, 'x,"y"\n', "positive")
    record = built.post("/api/v1/datasets/from-feedback", {"parent": "p@1", "model": "m"}).json()
    text = (_folder(record) / "production.csv").read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(text))) == [["text", "label"], ['x,"y"\n', "positive"]]
