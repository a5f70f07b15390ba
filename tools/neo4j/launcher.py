"""Start and stop the project's own Neo4j Community (built by Maven from tools/neo4j/pom.xml).

    python -m tools.neo4j.launcher --port 7687 --data var/neo4j   # runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSPATH = HERE / "target" / "classpath.txt"
CLASSES = HERE / "target" / "classes"


def build() -> None:
    """Fetch the Neo4j jars into the local Maven repository (first time) and compile, again
    whenever a source is newer than what was compiled from it."""
    built = CLASSES / "famgraph" / "Neo4jLauncher.class"
    sources = [*(HERE / "src").rglob("*.java"), HERE / "pom.xml"]
    if CLASSPATH.exists() and built.exists() and all(
            source.stat().st_mtime <= built.stat().st_mtime for source in sources):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to build tools/neo4j")
    subprocess.run([mvn, "-q", "-B", "package", "-DskipTests"], cwd=HERE, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningNeo4j:
    process: subprocess.Popen[str]
    uri: str
    user: str
    password: str

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


KEPT_FILE = "famgraph-password"


def kept_password(data: Path) -> str:
    """The password made for this data folder at its first start, kept beside it (this
    user alone may read it): Neo4j takes the password only on a first start, so a folder
    started again must be asked with the same one."""
    kept = data / KEPT_FILE
    if not kept.exists():
        fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(16))
    return kept.read_text().strip()


def start(data: Path, port: int | None = None, password: str | None = None,
          timeout: float = 120, page_cache_mb: int = 256) -> RunningNeo4j:
    """Start Neo4j with Bolt on 127.0.0.1 and return once it answers. The page cache holds
    the store's files in memory: 256 MB is enough for the tests' small stores; a bench of
    a borough passes enough to hold its whole store, or every read waits on the disk."""
    build()
    port = port or free_port()
    data.mkdir(parents=True, exist_ok=True)
    password = password or kept_password(data)
    classpath = f"{CLASSES}:{CLASSPATH.read_text().strip()}"
    java = shutil.which("java") or "java"
    process = subprocess.Popen(
        [java, "-Xmx768m", "-XX:+UseSerialGC", "-cp", classpath, "famgraph.Neo4jLauncher",
         str(port), str(data), password, str(page_cache_mb)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NEO4J_CONF": str(data)},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith("ready"):
            return RunningNeo4j(process, f"bolt://127.0.0.1:{port}", "neo4j", password)
    process.kill()
    raise RuntimeError("Neo4j did not start:\n" + "".join(seen[-20:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=7687)
    parser.add_argument("--data", type=Path, default=Path("var/neo4j"))
    parser.add_argument("--password", default=os.environ.get("FAMGRAPH_NEO4J_PASSWORD",
                                                             "famgraph-dev"))
    args = parser.parse_args()
    server = start(args.data, args.port, args.password)
    print(f"Neo4j on {server.uri} (user neo4j); Ctrl-C stops it", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
