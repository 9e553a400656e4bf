"""One real Elasticsearch node for the tests, without Docker: the server and the ES|QL plugin as Elastic
publishes them on Maven Central, started by the project's own launcher (tools/es-node).

`started_node()` builds the launcher with Maven (once; a later run reuses the jar while the pom and sources are
unchanged), starts the node on 127.0.0.1 with a free port in a temporary folder, waits for it within a bound,
and stops it and removes the folder afterwards. Every step has a deadline; a node that cannot start raises
NodeUnavailable with the reason and the tail of its log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

LAUNCHER = Path(__file__).resolve().parents[2] / "tools" / "es-node"
JAR = LAUNCHER / "target" / "es-node-1.jar"
CLASSPATH = LAUNCHER / "target" / "classpath.txt"
BUILD_TIMEOUT = 900  # a first build downloads 110 MB of jars from Maven Central (98 s here)
START_TIMEOUT = 180  # ~8 s on a 2-core machine; generous for a loaded CI machine
STOP_TIMEOUT = 30


class NodeUnavailable(RuntimeError):
    """The node cannot be had on this machine (no Java or Maven, the build or the start failed)."""


def version() -> str:
    """The Elasticsearch version the launcher's pom pins."""
    match = re.search(r"<es\.version>([^<]+)</es\.version>", (LAUNCHER / "pom.xml").read_text())
    assert match, "tools/es-node/pom.xml names no es.version"
    return match.group(1)


def missing_tools() -> str | None:
    """Why this machine cannot build or run the node, or None."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (the real Elasticsearch node needs Java 17+ and Maven)"
    try:
        probe = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`java -version` failed: {exc}"
    found = re.search(r'version "(\d+)', probe.stderr + probe.stdout)
    if not found or int(found.group(1)) < 17:
        return f"Elasticsearch {version()} needs Java 17 or newer; `java -version` says: {probe.stderr.strip()[:200]}"
    return None


def _sources() -> list[Path]:
    return [LAUNCHER / "pom.xml", *sorted((LAUNCHER / "src").rglob("*.java"))]


def _built() -> bool:
    if not (JAR.exists() and CLASSPATH.exists()):
        return False
    built_at = min(JAR.stat().st_mtime, CLASSPATH.stat().st_mtime)
    if any(source.stat().st_mtime > built_at for source in _sources()):
        return False
    return all(Path(entry).exists() for entry in CLASSPATH.read_text().strip().split(os.pathsep))


def build() -> list[str]:
    """The launcher's class path (its jar first), built with Maven when the sources changed."""
    if not _built():
        try:
            result = subprocess.run(["mvn", "-q", "-B", "package", "-DskipTests"], cwd=LAUNCHER,
                                    capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise NodeUnavailable(f"building tools/es-node took more than {BUILD_TIMEOUT} s") from None
        if result.returncode != 0 or not _built():
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise NodeUnavailable(f"building tools/es-node failed (mvn exit {result.returncode}):\n{tail}")
    return [str(JAR), *CLASSPATH.read_text().strip().split(os.pathsep)]


@dataclass
class Node:
    url: str
    version: str
    process: subprocess.Popen
    home: Path

    def log_tail(self, lines: int = 30) -> str:
        log = self.home / "node.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _java_command(classpath: list[str], home: Path, port_file: Path) -> list[str]:
    return [
        "java", "-Xms512m", "-Xmx1g", "-XX:+UseSerialGC",
        "-Dfile.encoding=UTF-8", f"-Djava.io.tmpdir={home / 'tmp'}",
        "-Dlog4j2.formatMsgNoLookups=true", "-Des.set.netty.runtime.available.processors=false",
        "-cp", os.pathsep.join(classpath), "elasticpack.esnode.Launcher", str(home), str(port_file),
    ]


def _wait_ready(node: Node, port_file: Path, deadline: float) -> None:
    while not port_file.exists():
        if node.process.poll() is not None:
            raise NodeUnavailable(f"the node exited with {node.process.returncode} before serving HTTP:\n"
                                  f"{node.log_tail()}")
        if time.monotonic() > deadline:
            raise NodeUnavailable(f"the node did not serve HTTP within {START_TIMEOUT} s:\n{node.log_tail()}")
        time.sleep(0.2)
    node.url = f"http://127.0.0.1:{int(port_file.read_text())}"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise NodeUnavailable(f"the node's cluster was not green within {START_TIMEOUT} s:\n{node.log_tail()}")
        try:
            health = requests.get(f"{node.url}/_cluster/health", timeout=min(10, left),
                                  params={"wait_for_status": "green", "timeout": f"{max(1, int(min(10, left)))}s"})
            if health.status_code == 200 and health.json().get("status") == "green":
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


def _stop(node: Node) -> None:
    process = node.process
    if process.poll() is None:
        try:
            if process.stdin:
                process.stdin.close()  # the launcher stops when its stdin closes
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@contextmanager
def started_node() -> Iterator[Node]:
    """A running node, stopped and its folder removed when the block ends (also on errors)."""
    reason = missing_tools()
    if reason:
        raise NodeUnavailable(reason)
    classpath = build()
    home = Path(tempfile.mkdtemp(prefix="elastic-pack-es-"))
    (home / "tmp").mkdir()
    port_file = home / "http.port"
    log = open(home / "node.log", "wb")
    try:
        process = subprocess.Popen(_java_command(classpath, home, port_file), stdin=subprocess.PIPE,
                                   stdout=log, stderr=subprocess.STDOUT, cwd=home)
        node = Node("", version(), process, home)
        try:
            _wait_ready(node, port_file, time.monotonic() + START_TIMEOUT)
            yield node
        finally:
            _stop(node)
    finally:
        log.close()
        shutil.rmtree(home, ignore_errors=True)
