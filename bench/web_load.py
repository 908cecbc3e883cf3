"""Benchmark: compare page under load, modelvs vs nginx serving the exported page.

Usage: python bench/web_load.py [--seconds S] [--connections N] [--workers W]
Needs Debian's wrk and nginx (apt-get install wrk nginx). Both servers listen on 127.0.0.1
only; wrk runs for a fixed time and stops by itself. Targets: at least 3,000 requests/s at 64
concurrent connections with p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = "/compare/deepseek-vl2-small-vs-qwen3-vl-4b-instruct"
NGINX_CONFIG = """
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """Return (requests per second, p99 latency in ms) from one wrk run."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in output or "Socket errors" in output:
        print(output, file=sys.stderr)
    return rps, p99_ms


def bench_modelvs(seconds: int, connections: int, workers: int) -> tuple[float, float]:
    port = free_port()
    env = {**os.environ, "MODELVS_AS_OF": "2026-12-04", "MODELVS_DATA": str(ROOT / "data")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "modelvs.web.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}{SEED}"
        run_wrk(url, 2, connections)  # warm up every worker's page cache
        return run_wrk(url, seconds, connections)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def bench_nginx(seconds: int, connections: int, workers: int) -> tuple[float, float]:
    work = Path(tempfile.mkdtemp(prefix="modelvs-nginx-"))
    site = work / "site"
    page = site / SEED.lstrip("/") / "index.html"
    page.parent.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "modelvs",
            "compare",
            "deepseek-vl2-small",
            "qwen3-vl-4b-instruct",
            "--format",
            "html",
            "--as-of",
            "2026-12-04",
            "--output",
            str(page),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    config = work / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(workers=workers, root=work, port=port, site=site))
    subprocess.run(["nginx", "-c", str(config), "-p", str(work)], check=True)
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}{SEED}"
        run_wrk(url, 1, connections)
        return run_wrk(url, seconds, connections)
    finally:
        subprocess.run(["nginx", "-c", str(config), "-p", str(work), "-s", "stop"], check=False)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="Duration of each run (s).")
    parser.add_argument("--connections", type=int, default=64, help="Concurrent connections.")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed; run: apt-get install wrk nginx")

    ours = bench_modelvs(args.seconds, args.connections, args.workers)
    theirs = bench_nginx(args.seconds, args.connections, args.workers)
    print(
        f"compare page, {args.connections} connections, {args.workers} workers,"
        f" {args.seconds} s per run, {os.cpu_count()} cores"
    )
    print(f"modelvs: {ours[0]:,.0f} requests/s, p99 {ours[1]:.2f} ms")
    print(f"nginx (exported page): {theirs[0]:,.0f} requests/s, p99 {theirs[1]:.2f} ms")
    print(f"modelvs / nginx throughput: {ours[0] / theirs[0]:.2f}")


if __name__ == "__main__":
    main()
