"""The soak: the front-door query offered at 0.4 of capacity for a long time, watching the
server's memory and p99 for drift.

    python -m bench.soak --people 100000 [--store DIR] [--minutes 30] [--window 60]

Serves the real app (as `bench.frontdoor` does: one uvicorn worker, production mode, the
embedded store), measures capacity with `wrk` (the front-door GraphQL query at 8
connections), then offers 0.4 of that, open loop, window after window, and reports each
window's p50, p99 and max latency, the server's resident memory and the audit log's size.
Memory is flat and p99 steady when the last windows look like the first ones after the
warm-up; the verdict lines give the drift per ten minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from bench.frontdoor import FRONT_DOOR, _free_port, _serve, _wrk, prepared
from bench.openloop import OpenRun, http_request, offer

SHARE = 0.4


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _audit_mb(store: Path) -> float:
    return sum(p.stat().st_size for p in store.glob("audit.sqlite*")) / 2**20


def _slope_per_ten_minutes(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per 600 s."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return 600 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="reuse (or build once into) this folder")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per window")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    root, child, token = prepared(args.store, args.people, "famgraph-soak-")
    port = _free_port()
    server = _serve(root / "store", port)
    body = {"query": FRONT_DOOR, "variables": {"id": child}}
    request = http_request("POST", "127.0.0.1", port, "/graphql",
                           {"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"}, json.dumps(body).encode())
    windows: list[tuple[float, OpenRun, float, float]] = []
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        _wrk(url, 3, args.connections, body, token)  # warm up
        capacity = _wrk(url, 15, args.connections, body, token).requests_per_second
        rate = SHARE * capacity
        print(f"capacity {capacity:.0f} req/s (wrk, {args.connections} connections);"
              f" offering {rate:.0f} req/s for {args.minutes:g} min in"
              f" {args.window:g} s windows")
        print(f"  {'minute':>6} {'done/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8}"
              f" {'RSS MB':>7} {'audit MB':>9} {'non-2xx':>7}")
        began = time.monotonic()
        while time.monotonic() - began < args.minutes * 60:
            run = asyncio.run(offer("127.0.0.1", port, request, rate, args.window,
                                    args.connections))
            at = time.monotonic() - began
            rss, audit = _rss_mb(server.pid), _audit_mb(root / "store")
            windows.append((at, run, rss, audit))
            print(f"  {at / 60:6.1f} {run.completed_per_second:7.0f} {run.p50_ms:7.1f}"
                  f" {run.p99_ms:7.1f} {run.max_ms:8.1f} {rss:7.0f} {audit:9.1f}"
                  f" {run.errors:7d}", flush=True)
    finally:
        server.terminate()
        server.wait(30)
    settled = windows[len(windows) // 5:] if len(windows) >= 5 else windows  # past warm-up
    rss_drift = _slope_per_ten_minutes([(t, rss) for t, _, rss, _ in settled])
    p99_drift = _slope_per_ten_minutes([(t, run.p99_ms) for t, run, _, _ in settled])
    first, last = settled[0], settled[-1]
    print(f"after warm-up: RSS {first[2]:.0f} -> {last[2]:.0f} MB"
          f" (drift {rss_drift:+.1f} MB per 10 min); p99 {first[1].p99_ms:.1f} ->"
          f" {last[1].p99_ms:.1f} ms (drift {p99_drift:+.2f} ms per 10 min);"
          f" audit log grew {last[3] - windows[0][3]:.0f} MB")


if __name__ == "__main__":
    main()
