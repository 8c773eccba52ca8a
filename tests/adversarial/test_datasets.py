"""Dataset uploads (`PUT /api/v1/datasets/{name}/{version}`, body = the file): a registered
name@version is immutable, a refused upload leaves nothing behind, an error never echoes
unbounded input.

Where the file lives: `<artifact root>/datasets/<name>/<version>/data.<format>`, named by the
registry's `uri` (file://...); the registry's `sha256` is the digest of those bytes.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from urllib.parse import urlsplit, unquote

from support.checks import assert_refused

GOOD = b"text,label\na quietly devastating film,positive\ndull and long,negative\n"
OTHER = b"text,label\nsomething else entirely,negative\nand more of it,positive\nthird,positive\n"
BAD_LABELS = b"text,label\nfine,positive\nodd,happy\n"


def upload(steward, name, version, body, fmt="csv", **kw):
    return steward.put(f"/api/v1/datasets/{name}/{version}?format={fmt}", body,
                       content_type="text/csv" if fmt == "csv" else "application/x-ndjson", **kw)


def stored(steward, name, version) -> tuple[dict, Path]:
    r = steward.get(f"/api/v1/datasets/{name}/{version}")
    assert r.status == 200, r
    record = r.json()
    path = Path(unquote(urlsplit(record["uri"]).path))
    return record, path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def test_second_upload_is_409_and_leaves_the_stored_file_untouched(steward):
    name = unique("twice")
    first = upload(steward, name, "v1", GOOD)
    assert first.status == 201, first
    record, path = stored(steward, name, "v1")
    assert path.read_bytes() == GOOD and record["sha256"] == hashlib.sha256(GOOD).hexdigest()

    second = upload(steward, name, "v1", OTHER)
    assert_refused(second, (409,), shape="native", what="second upload")
    record_after, path_after = stored(steward, name, "v1")
    assert record_after == record
    assert path_after.read_bytes() == GOOD, "the second upload replaced the registered file's bytes"
    assert sha256(path_after) == record_after["sha256"]


def test_failed_validation_of_an_existing_version_leaves_it_untouched(steward):
    name = unique("revalidate")
    assert upload(steward, name, "v1", GOOD).status == 201
    record, path = stored(steward, name, "v1")
    for body, fmt in ((BAD_LABELS, "csv"), (b"not,the,header\n1,2,3\n", "csv"), (b'{"text": 1}\n', "jsonl")):
        response = upload(steward, name, "v1", body, fmt)
        assert_refused(response, (400, 409, 422), shape="native", what=f"re-upload {body[:20]!r}")
        assert stored(steward, name, "v1")[0] == record
        assert path.read_bytes() == GOOD, f"a refused re-upload ({response.status}) changed the registered file"
        assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_refused_upload_of_a_new_name_leaves_no_folder(steward):
    datasets = steward.artifact_root / "datasets"
    cases = {"unknown labels (422)": (BAD_LABELS, "csv"), "bad header (400)": (b"a,b\n1,2\n", "csv"),
             "bad jsonl (400)": (b"[1, 2]\n", "jsonl"), "empty": (b"", "csv"),
             "one class only (422)": (b"text,label\na,positive\nb,positive\nc,positive\n", "csv")}
    leftovers = []
    for what, (body, fmt) in cases.items():
        name = unique("refused")
        response = upload(steward, name, "v1", body, fmt)
        assert_refused(response, (400, 422), shape="native", what=what)
        assert steward.get(f"/api/v1/datasets/{name}/v1").status == 404
        if (datasets / name).exists():
            leftovers.append(f"{what}: {sorted(str(p.relative_to(datasets)) for p in (datasets / name).rglob('*'))}")
    assert not leftovers, "refused uploads left folders under datasets/: " + "; ".join(leftovers)


def test_twenty_megabyte_header_line_is_400_with_a_short_body(steward):
    body = b"t" * (20 << 20) + b",label\nx,positive\n"
    name = unique("wide")
    response = upload(steward, name, "v1", body, timeout=120)
    assert_refused(response, (400,), shape="native", max_body=4096, what="20 MB header line")
    assert not (steward.artifact_root / "datasets" / name).exists()


def test_twenty_megabyte_field_in_a_row_is_refused_with_a_short_body(steward):
    """One text field of 20 MB (no newline): an error names the row, never carries it."""
    body = b"text,label\n" + b"w" * (20 << 20) + b",positive\nshort,negative\n"
    name = unique("longrow")
    response = upload(steward, name, "v1", body, timeout=120)
    if response.status == 201:
        record, path = stored(steward, name, "v1")  # accepted is fine when stored exactly
        assert sha256(path) == record["sha256"] == hashlib.sha256(body).hexdigest()
    else:
        assert_refused(response, (400, 413, 422), shape="native", max_body=4096, what="20 MB field")
        assert not (steward.artifact_root / "datasets" / name).exists()
