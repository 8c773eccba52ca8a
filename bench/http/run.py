#!/usr/bin/env python3
"""HTTP benchmark: GET /health on stewardd vs a Python stdlib ThreadingHTTPServer answering the same
`200 ok` (text/plain, Content-Length, HTTP/1.1 keep-alive, one write per response, TCP_NODELAY),
both on loopback, driven by `wrk`
(default) or `hey` at the same concurrency and duration. Each server gets a short warm-up run
first. Prints req/s and p50/p99 for each and the ratios.

    .steward/venv/bin/python bench/http/run.py                 # wrk, 32 connections, 10 s each (~35 s)
    .steward/venv/bin/python bench/http/run.py --tool hey --connections 64 --duration 5

stewardd is started like tests/registry/conftest.py does (fresh database on the test PostgreSQL
cluster, see bench/registry/servers.py); /health itself does not touch the database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
import servers  # noqa: E402
from servers import BenchError, log  # noqa: E402

BASELINE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Health(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as stewardd and the load generators use
    # Give the baseline its best case: headers and body leave in one write (a buffered wfile,
    # flushed by handle_one_request) with TCP_NODELAY; unbuffered, the stdlib writes them
    # separately and keep-alive clients hit the ~40 ms delayed-ACK stall.
    wbufsize = 65536
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path != "/health":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def start_baseline(tmp: Path) -> servers.Process:
    stderr_path = tmp / "baseline.stderr"
    with open(stderr_path, "wb") as err:
        popen = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER], stdout=subprocess.PIPE, stderr=err,
                                 stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    port = int(popen.stdout.readline())
    process = servers.Process("python http.server", f"http://127.0.0.1:{port}", "", popen, stderr_path)
    servers.wait_ready(process, "/health", 10)
    return process


def parse_seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(url: str, connections: int, duration: int, threads: int) -> dict:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, timeout=duration + 30)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        raise BenchError(f"wrk failed:\n{text}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {m.group(1): parse_seconds(m.group(2), m.group(3))
               for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    return {"rps": rps, "p50_ms": latency["50"] * 1000, "p99_ms": latency["99"] * 1000, "requests": requests,
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else "", "raw": text}


def run_hey(url: str, connections: int, duration: int) -> dict:
    out = subprocess.run(["hey", "-z", f"{duration}s", "-c", str(connections), url],
                         capture_output=True, text=True, timeout=duration + 30)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        raise BenchError(f"hey failed:\n{text}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {m.group(1): float(m.group(2)) for m in re.finditer(r"^\s+(50|99)%+ in ([\d.]+) secs", text, re.M)}
    statuses = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"\[(\d{3})\]\s+(\d+) responses", text)}
    error_section = text.split("Error distribution:", 1)[1].strip() if "Error distribution:" in text else ""
    return {"rps": rps, "p50_ms": latency["50"] * 1000, "p99_ms": latency["99"] * 1000,
            "requests": sum(statuses.values()), "errors": sum(n for code, n in statuses.items() if code != 200),
            "socket_errors": error_section[:500], "raw": text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", choices=("wrk", "hey"), default="wrk")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per server (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--verbose", action="store_true", help="print the load generator's own output")
    args = parser.parse_args()
    if not shutil.which(args.tool):
        print(f"bench/http: {args.tool} not found (Debian package {args.tool})", file=sys.stderr)
        return 2

    def drive(url: str, seconds: int) -> dict:
        if args.tool == "wrk":
            return run_wrk(url, args.connections, seconds, min(args.threads, args.connections))
        return run_hey(url, args.connections, seconds)

    results: dict[str, dict] = {}
    processes: list[servers.Process] = []
    dbs = None
    with tempfile.TemporaryDirectory(prefix="steward-bench-http-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            dbs = servers.Databases(servers.admin_database_url())
            steward = servers.start_stewardd(dbs.create("steward_bench_http"), tmp)
            processes.append(steward)
            baseline = start_baseline(tmp)
            processes.append(baseline)
            for process in (steward, baseline):
                url = process.url + "/health"
                log(f"{process.name}: warm-up {args.warmup} s, then {args.duration} s with {args.tool}, "
                    f"{args.connections} connections")
                drive(url, args.warmup)
                cpu_before = process.cpu_seconds()
                results[process.name] = drive(url, args.duration)
                cpu = process.cpu_seconds() - cpu_before
                results[process.name]["server_cpu_us_per_request"] = cpu / results[process.name]["requests"] * 1e6
                process.check_alive()
                time.sleep(0.5)  # let the last connections close before the next server's run
        except BenchError as error:
            print(f"bench/http: {error}", file=sys.stderr)
            return 2
        finally:
            for process in processes:
                process.stop()
            if dbs is not None:
                dbs.close()

    s, b = results["stewardd"], results["python http.server"]
    print(f"GET /health on loopback, {args.tool}, {args.connections} connections, {args.duration} s per server "
          f"(after {args.warmup} s warm-up); {steward.extra['binary']}")
    print(f"{'server':22} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'CPU us/req':>11} {'requests':>10} {'non-2xx':>8}"
          "  socket errors")
    for name, r in (("stewardd", s), ("python http.server", b)):
        print(f"{name:22} {r['rps']:10.0f} {r['p50_ms']:9.3f} {r['p99_ms']:9.3f} {r['server_cpu_us_per_request']:11.1f} "
              f"{r['requests']:10d} {r['errors']:8d}  {r['socket_errors'] or '-'}")
    print(f"{'ratio stewardd/python':22} {s['rps'] / b['rps']:9.2f}x {s['p50_ms'] / b['p50_ms']:9.3f} "
          f"{s['p99_ms'] / b['p99_ms']:9.3f} {s['server_cpu_us_per_request'] / b['server_cpu_us_per_request']:11.3f}"
          "   (req/s: higher is better; latency and CPU ratios: lower is better)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the load generator shares them; "
          "CPU us/req is the server's own user+system time, the least sensitive to a busy machine)")
    if s["errors"] or s["socket_errors"]:
        print("NOTE: stewardd answered non-2xx or had socket errors under load (see above)")
    if args.verbose:
        for name, r in results.items():
            print(f"\n--- {args.tool} output for {name}\n{r['raw']}")
    if args.json:
        args.json.write_text(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "raw"} for k, v in results.items()},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
