"""Measuring stewardd from outside: HTTP exchanges timed one by one, probes, and the process's
memory and CPU from /proc. Used by run.py and scenarios.py."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MB = 1 << 20


def log(message: str) -> None:
    print(f"[soak] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """The bench could not run (no binary, no database, stewardd did not start)."""


class WrongAnswer(AssertionError):
    """stewardd answered wrongly or died: exit status 1."""



# --------------------------------------------------------------------------- figures and statistics

@dataclass
class Figure:
    name: str
    shown: str            # the value as printed
    target: str = "-"     # "-": shown for the operator, no target
    met: bool | None = None
    value: float | int | str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "shown": self.shown, "target": self.target, "met": self.met}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    return "n/a" if seconds != seconds else f"{seconds * 1000:.1f} ms"


# --------------------------------------------------------------------------- process memory

def proc_status(pid: int, key: str) -> int:
    """A /proc/PID/status field in KiB (VmRSS, VmHWM); 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> bool:
    """Resets VmHWM to the current RSS (clear_refs 5), so a peak belongs to one phase."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def backends_cpu_seconds(database: str) -> float:
    """CPU time of the live PostgreSQL backends serving `database` (their process title names it)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read(200)
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            total += cpu_seconds(int(entry))
    return total


class RSSSampler(threading.Thread):
    """Samples VmRSS every `interval_s`; `max_kib` is the largest seen. `on_sample` may stop a run
    that is about to take the box down (the ingest scenario's guard)."""

    def __init__(self, pid: int, interval_s: float = 0.1, on_sample=None):
        super().__init__(daemon=True)
        self.pid, self.interval_s, self.on_sample = pid, interval_s, on_sample
        self.max_kib = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            kib = proc_status(self.pid, "VmRSS")
            self.max_kib = max(self.max_kib, kib)
            if self.on_sample:
                self.on_sample(kib)
            self.halt.wait(self.interval_s)

    def stop(self) -> int:
        self.halt.set()
        self.join()
        return self.max_kib


# --------------------------------------------------------------------------- HTTP

@dataclass
class Answer:
    started: float        # time.monotonic() when sent
    elapsed: float        # seconds to the whole answer (or the failure)
    status: int | str     # HTTP status, or "error:<exception>" when none came
    retry_after: bool = False
    body: bytes = b""

    @property
    def finished(self) -> float:
        return self.started + self.elapsed


class Connection:
    """One keep-alive connection (http.client), used by one thread. A request on a reused
    connection that the server had closed without saying so (no status line at all) is sent again
    once on a fresh connection and counted in `stale_retries`: that is what HTTP clients do, and
    an operator should know if it happens."""

    def __init__(self, base_url: str, token: str | None, timeout: float):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn: http.client.HTTPConnection | None = None
        self.stale_retries = 0

    def request(self, method: str, path: str, body: bytes | None = None, keep: int = 0) -> Answer:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.will_close:
                    self.close()
                return Answer(started, time.monotonic() - started, response.status,
                              response.getheader("Retry-After") is not None, payload[:keep] if keep else b"")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.close()
                if attempt == 0 and reused:
                    self.stale_retries += 1
                    continue
                return Answer(started, time.monotonic() - started, f"error:{type(error).__name__}")
            except (OSError, http.client.HTTPException) as error:
                self.close()
                return Answer(started, time.monotonic() - started, f"error:{type(error).__name__}")
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def call(server, method: str, path: str, payload=None, timeout: float = 60.0) -> dict:
    """One JSON request that must succeed (setup and checks, not measured)."""
    conn = Connection(server.url, server.token, timeout)
    answer = conn.request(method, path, None if payload is None else json.dumps(payload).encode(), keep=1 << 30)
    conn.close()
    if answer.status != 200:
        raise WrongAnswer(f"{method} {path} answered {answer.status}: {answer.body[:300]!r}")
    return json.loads(answer.body)


class Prober(threading.Thread):
    """GET `path` every `interval_s` on a fresh connection each time, as a kubelet probe does."""

    def __init__(self, base_url: str, path: str, interval_s: float = 0.05, timeout: float = 30.0):
        super().__init__(daemon=True)
        self.base_url, self.path, self.interval_s, self.timeout = base_url, path, interval_s, timeout
        self.answers: list[Answer] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            conn = Connection(self.base_url, None, self.timeout)
            self.answers.append(conn.request("GET", self.path))
            conn.close()
            self.halt.wait(self.interval_s)

    def stop(self) -> list[Answer]:
        self.halt.set()
        self.join()
        return self.answers


class CurlProber:
    """GET `url` at `rate` per second from a curl process, one fresh connection per probe (as a
    kubelet probes): curl times each exchange itself, so the bench's own Python threads (50 load
    clients holding the GIL in turn) cannot inflate the figure. `stop()` ends it and returns
    (status, seconds) per probe."""

    def __init__(self, url: str, count: int, rate: int = 20):
        args = ["curl", "-s", "--rate", f"{rate}/s", "--max-time", "30", "-H", "Connection: close",
                "-w", "%{stderr}%{http_code} %{time_total}\\n"]
        for _ in range(count):
            args += ["-o", "/dev/null", url]
        # -w to stderr: unbuffered, so the probes done before stop() terminates curl are all there.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self) -> list[tuple[int, float]]:
        if self.process.poll() is None:
            self.process.terminate()
        _, out = self.process.communicate()
        probes = []
        for line in out.splitlines():
            code, _, seconds = line.partition(" ")
            if seconds:
                probes.append((int(code), float(seconds)))
        return probes


def idle_probe(url: str, count: int = 40) -> list[float]:
    """Probes with nothing else running: the baseline the loaded figures are read against."""
    prober = CurlProber(url, count)
    prober.process.wait()
    return [seconds for code, seconds in prober.stop() if code == 200]


def metric_value(server, name: str) -> dict[str, float]:
    """Samples of one metric family from GET /metrics, by label text ({} when absent)."""
    conn = Connection(server.url, server.token, 10)
    answer = conn.request("GET", "/metrics", keep=1 << 26)
    conn.close()
    found = {}
    if answer.status == 200:
        for line in answer.body.decode(errors="replace").splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                key, _, value = line.rpartition(" ")
                found[key[len(name):] or "{}"] = float(value)
    return found
