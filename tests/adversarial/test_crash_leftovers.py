"""SIGKILL in the middle of writes, then a restart on the same database and artifact root.

- A 100 MB artifact upload (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`) is spooled to
  `<artifact root>/incoming/`: once the restarted stewardd is ready, no spool file remains
  there, and the artifact does not exist.
- A stream of log-batch calls: each batch is wholly present or wholly absent afterwards, and
  every batch that was answered 200 is present.
- A dataset upload: afterwards the dataset is either registered with a file whose sha256 is the
  registry's, or absent with no folder; nothing is left in incoming/.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from support import StewarddError, wait_until

MB = 1 << 20


def start_upload(server, path: str, total: int, sent: int, content_type: str = "application/octet-stream"):
    """Opens a raw connection, declares `total` bytes and sends `sent` of them; returns the socket."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {server.token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {total}\r\nExpect:\r\n\r\n").encode()
    sock.sendall(head)
    chunk = b"\x5a" * MB
    for _ in range(sent // MB):
        sock.sendall(chunk)
    return sock


def spool_files(server) -> list[str]:
    incoming = server.artifact_root / "incoming"
    return sorted(p.name for p in incoming.iterdir()) if incoming.is_dir() else []


def spooled_bytes(server) -> int:
    incoming = server.artifact_root / "incoming"
    return sum(p.stat().st_size for p in incoming.iterdir() if p.is_file()) if incoming.is_dir() else 0


def test_sigkill_during_artifact_upload_leaves_no_spool_file_after_restart(make_stewardd):
    server = make_stewardd()
    experiment = server.post("/api/2.0/mlflow/experiments/create", {"name": "crash"}).json()["experiment_id"]
    run = server.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment}).json()["run"]["info"]["run_id"]
    path = f"{experiment}/{run}/artifacts/big.bin"
    sock = start_upload(server, f"/api/2.0/mlflow-artifacts/artifacts/{path}", total=100 * MB, sent=40 * MB)
    try:
        wait_until(lambda: spooled_bytes(server) >= 8 * MB, 30, message="the upload spool file in incoming/")
        left_behind = spool_files(server)
        server.kill()
    finally:
        sock.close()
    assert left_behind, "no spool file was seen in incoming/ during the upload"

    server.start()
    stale = [name for name in spool_files(server) if name in left_behind]
    assert not stale, f"stale spool file(s) in incoming/ after the restart: {stale}"
    r = server.get(f"/api/2.0/mlflow-artifacts/artifacts/{path}")
    assert r.status == 404, f"the interrupted artifact exists after the restart: {r!r}"


def test_sigkill_during_log_batch_stream_leaves_each_batch_whole_or_absent(make_stewardd):
    """4 writers, each on its own run (contention is test_concurrency's business), send batches
    of 40 metrics, 20 params and 20 tags until SIGKILL."""
    server = make_stewardd()
    experiment = server.post("/api/2.0/mlflow/experiments/create", {"name": "crash-batches"}).json()["experiment_id"]
    runs = [server.post("/api/2.0/mlflow/runs/create", {"experiment_id": experiment}).json()["run"]["info"]["run_id"]
            for _ in range(4)]
    keys = [f"k{i}" for i in range(40)]
    acknowledged: set[tuple[str, int]] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(run: str):
        step = 0
        while not stop.is_set():
            step += 1
            body = {"run_id": run,
                    "metrics": [{"key": k, "value": step, "timestamp": step, "step": step} for k in keys],
                    "params": [{"key": f"s{step}-p{i}", "value": str(i)} for i in range(20)],
                    "tags": [{"key": f"s{step}-t{i}", "value": str(i)} for i in range(20)]}
            try:
                r = server.post("/api/2.0/mlflow/runs/log-batch", body, timeout=10)
            except (OSError, StewarddError):
                return  # the process was killed under this request
            if r.status == 200:
                with lock:
                    acknowledged.add((run, step))

    threads = [threading.Thread(target=writer, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(acknowledged) >= 40, 60, message="40 acknowledged batches")
        server.kill()
    finally:
        stop.set()
        for t in threads:
            t.join()
    server.start()

    stored: dict[tuple[str, int], list[int]] = {}  # (run, step) -> [metrics, params, tags]
    for run in runs:
        data = server.get(f"/api/2.0/mlflow/runs/get?run_id={run}").json()["run"]["data"]
        for kind, items in ((1, data.get("params", [])), (2, data.get("tags", []))):
            for item in items:
                if item["key"].startswith("s") and "-" in item["key"]:
                    stored.setdefault((run, int(item["key"].split("-")[0][1:])), [0, 0, 0])[kind] += 1
        for key in keys:
            r = server.get(f"/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key={key}&max_results=25000")
            assert r.status == 200, r
            for m in r.json().get("metrics", []):
                stored.setdefault((run, int(m["step"])), [0, 0, 0])[0] += 1

    partial = {k: v for k, v in stored.items() if v != [40, 20, 20]}
    assert not partial, f"batches partly stored ([metrics, params, tags] of [40, 20, 20]): {partial}"
    lost = sorted(acknowledged - set(stored))
    assert not lost, f"batches answered 200 but missing after the restart: {lost[:10]}"
    print(f"{len(acknowledged)} batches acknowledged, {len(stored)} stored whole, none partial")


def test_sigkill_during_dataset_upload_leaves_it_whole_or_absent(make_stewardd):
    server = make_stewardd()
    rows = b"".join(f"row number {i} of a long upload,{'positive' if i % 2 else 'negative'}\n".encode()
                    for i in range(600_000))
    body = b"text,label\n" + rows
    sock = start_upload(server, "/api/v1/datasets/crashing/v1?format=csv", total=len(body), sent=0,
                        content_type="text/csv")
    try:
        sock.sendall(body[: len(body) // 2])
        wait_until(lambda: spooled_bytes(server) >= 4 * MB, 30, message="the dataset upload spool file")
        server.kill()
    finally:
        sock.close()
    server.start()

    assert not spool_files(server), f"spool files left in incoming/ after the restart: {spool_files(server)}"
    r = server.get("/api/v1/datasets/crashing/v1")
    folder = server.artifact_root / "datasets" / "crashing"
    if r.status == 404:
        assert not folder.exists(), \
            f"the dataset is not registered, but its folder is there: {sorted(str(p) for p in folder.rglob('*'))}"
    else:
        assert r.status == 200, r
        record = r.json()
        data = Path(unquote(urlsplit(record["uri"]).path)).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
