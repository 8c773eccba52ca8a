"""Replays labelled texts as production traffic, for the demo.

Sends ``POST /predict`` through the serving front (the embedded traffic split)
at a steady rate from a few threads, and posts a share of the true labels back
to Steward's ``POST /api/v1/feedback`` with each prediction's request id, as a
labelling team would. The control file names the source to replay (a key of
``--source NAME=CSV``); any other content pauses; removing the file stops the
replay, which then writes its tally (requests by source, track, version and
status) to ``--tally``.

    python -m steward_training.traffic --url http://127.0.0.1:7500 --api http://127.0.0.1:7400 \\
        --source critics=test.csv --source tweets=tweets.csv --control .steward/demo/traffic --rate 20
"""

from __future__ import annotations

import argparse
import collections
import csv
import http.client
import json
import os
import random
import threading
import time
import urllib.parse
from pathlib import Path


class Endpoint:
    """One keep-alive connection per thread to one base URL."""

    def __init__(self, base: str, token: str | None = None):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict) -> tuple[int, dict, dict]:
        for attempt in (1, 2):  # one reconnect when the server closed an idle connection
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            try:
                self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                try:
                    payload = json.loads(data) if data else {}
                except ValueError:
                    payload = {}
                return response.status, dict(response.getheaders()), payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def read_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m steward_training.traffic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the serving front (POST /predict)")
    parser.add_argument("--api", required=True, help="stewardd's base URL (POST /api/v1/feedback)")
    parser.add_argument("--model", default="sentiment")
    parser.add_argument("--source", action="append", required=True, help="NAME=CSV with text,label columns")
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("--tally", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=20, help="requests per second, all threads together")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--feedback-share", type=float, default=0.5, help="share of predictions whose true label is posted")
    args = parser.parse_args(argv)

    sources = {}
    for item in args.source:
        name, _, path = item.partition("=")
        sources[name] = read_rows(Path(path))
    token = os.environ.get("STEWARD_TOKEN")
    tally: collections.Counter[tuple[str, str, str, int]] = collections.Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        front, api = Endpoint(args.url), Endpoint(args.api, token)
        interval = args.threads / args.rate
        position = {name: index for name in sources}
        # Which predictions get a label is drawn at random, not every n-th: the split sends every
        # n-th request to a track, and a counter in step with it would label one track only.
        labelled = random.Random(index)
        next_at = time.monotonic()
        while True:
            try:
                source = args.control.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                return
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
            if source not in sources:
                next_at = time.monotonic()
                continue
            rows = sources[source]
            text, label = rows[position[source] % len(rows)]
            position[source] += args.threads
            try:
                status, headers, answer = front.post("/predict", {"text": text})
            except OSError:
                status, headers, answer = 0, {}, {}
            model = answer.get("model", {}) if isinstance(answer, dict) else {}
            with lock:
                tally[(source, headers.get("X-Steward-Track", "?"), str(model.get("version", "?")), status)] += 1
            if status == 200 and labelled.random() < args.feedback_share:
                body = {"model": args.model, "text": text, "label": label, "request_id": answer.get("request_id")}
                try:
                    api.post("/api/v1/feedback", body)
                except OSError:
                    pass  # feedback is best effort; the next one may land

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = [{"source": s, "track": t, "version": v, "status": c, "requests": n} for (s, t, v, c), n in sorted(tally.items())]
    args.tally.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
