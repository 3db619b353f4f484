"""A real ZenML 0.98.0 server on loopback, as a conformance target: `make conformance-zenml-live`.

    .venv/bin/python -m live.zenml_server conformance [CONFORMANCE RUN ARGS...]   # start, seed, check, stop
    .venv/bin/python -m live.zenml_server serve                                   # start, seed, wait for Ctrl-C

ZenML and its server extra are large and pin their own FastAPI/Starlette/SQLAlchemy, so they live in
their own virtual environment, `.venv-zenml` (created on first use, `zenml[server]==0.98.0` from PyPI:
the version `research/zenml-samples/` was recorded from). Nothing of ZenML is imported here: this module
runs in the project's `.venv` and drives that environment through subprocesses and HTTP.

The server is ZenML's own FastAPI app under uvicorn, started as the samples were: the OAuth2 password
scheme, auto-activation (user `default`, empty password), a SQLite store in a throwaway directory, on a
free port of 127.0.0.1. It is seeded like the samples' server: `alpha_pipeline`, `beta_pipeline` and
`gamma_pipeline` with a description and tags, created through `POST /api/v1/pipelines`, and
`demo_training_pipeline`, run for real by ZenML's client (`live/demo_pipeline.py`) so it has a latest run.
The server is always stopped and its directory removed, on success, failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from conformance.cli import main as conformance_main
from conformance.cli import parser as conformance_parser
from conformance.target import free_port

ZENML_VERSION = "0.98.0"
LIVE = Path(__file__).resolve().parent
VENV = LIVE.parent / ".venv-zenml"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / f".installed-zenml-{ZENML_VERSION}"
KNOWN_DEVIATIONS = LIVE / "known-deviations-zenml.yaml"
USERNAME, PASSWORD = "default", ""
SEEDED = ("alpha_pipeline", "beta_pipeline", "gamma_pipeline")
"""Created through the API with description `seeded <name>` and tags `seed`, `<name>-tag` (as the samples)."""
RUN_PIPELINE = "demo_training_pipeline"
STARTUP_SECONDS = 180.0


class LiveServerError(RuntimeError):
    """The server could not be installed, started or seeded: the message says what and where the log is."""


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    workdir: Path
    """The throwaway directory: SQLite store, server log, the seeding client's config."""

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def client_env(self) -> dict[str, str]:
        """Environment for a `zenml.client.Client` (in `.venv-zenml`) logged in to this server."""
        return isolated_env(
            ZENML_CONFIG_PATH=str(self.workdir / "client-config"),
            ZENML_STORE_URL=self.base_url,
            ZENML_STORE_USERNAME=USERNAME,
            ZENML_STORE_PASSWORD=PASSWORD,
        )


def isolated_env(**zenml: str) -> dict[str, str]:
    """This process's environment without any ZENML_* of the user's (their own server, their config), plus `zenml`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
    env.update(ZENML_ANALYTICS_OPT_IN="false", ZENML_ENABLE_RICH_TRACEBACK="false", ZENML_LOGGING_VERBOSITY="WARN")
    env.update(zenml)
    return env


def ensure_venv() -> Path:
    """`.venv-zenml` with `zenml[server]==0.98.0`, created on first use; the python to run in it."""
    if STAMP.exists():
        return PYTHON
    print(f"live: installing zenml[server]=={ZENML_VERSION} into {VENV.name} (first run only)", file=sys.stderr)
    with tempfile.NamedTemporaryFile("w", prefix="venv-zenml-install-", suffix=".log", delete=False) as out:
        log = Path(out.name)
        steps = [
            [sys.executable, "-m", "venv", str(VENV)],
            [str(PYTHON), "-m", "pip", "install", f"zenml[server]=={ZENML_VERSION}"],
        ]
        for command in steps:
            if subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                raise LiveServerError(f"`{' '.join(command)}` failed; see {log}")
    STAMP.touch()
    log.unlink()
    return PYTHON


@contextmanager
def zenml_server(*, seed: bool = True) -> Iterator[LiveServer]:
    """Start a fresh server, wait for /health, seed it, yield it; always stop it and remove its directory."""
    python = ensure_venv()
    workdir = Path(tempfile.mkdtemp(prefix="zenml-live-"))
    port = free_port()
    server = LiveServer(f"http://127.0.0.1:{port}", workdir)
    env = isolated_env(
        ZENML_CONFIG_PATH=str(workdir / "server-config"),
        ZENML_LOCAL_STORES_PATH=str(workdir / "stores"),  # the SQLite store: stores/default_zen_store/zenml.db
        ZENML_SERVER_AUTH_SCHEME="OAUTH2_PASSWORD_BEARER",
        ZENML_SERVER_AUTO_ACTIVATE="True",
        ZENML_DEFAULT_USER_NAME=USERNAME,
        ZENML_DEFAULT_USER_PASSWORD=PASSWORD,
    )
    command = [str(python), "-m", "uvicorn", "zenml.zen_server.zen_server_api:app", "--host", "127.0.0.1"]
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C reaches only us, we stop it
        )
        try:
            wait_healthy(server, process)
            if seed:
                seed_server(server, python)
            yield server
        finally:
            stop(process)
            shutil.rmtree(workdir, ignore_errors=True)


def wait_healthy(server: LiveServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LiveServerError(f"the ZenML server exited with {process.returncode}:\n{tail(server.log)}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.25)
    raise LiveServerError(f"the ZenML server was not healthy after {STARTUP_SECONDS:.0f} s:\n{tail(server.log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (uvicorn shuts down cleanly), SIGKILL it if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def seed_server(server: LiveServer, python: Path) -> None:
    """The samples' data: three pipelines through the API, one run by ZenML's client."""
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        token = http.post("/api/v1/login", data={"username": USERNAME, "password": PASSWORD})
        expect(token, "log in")
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        projects = http.get("/api/v1/projects", params={"name": "default"})
        expect(projects, "find the default project")
        project = projects.json()["items"][0]["id"]
        for name in SEEDED:
            body = {"name": name, "project": project, "description": f"seeded {name}", "tags": ["seed", f"{name}-tag"]}
            expect(http.post("/api/v1/pipelines", json=body), f"create {name}")
    ran = subprocess.run(
        [str(python), str(LIVE / "demo_pipeline.py")],
        cwd=server.workdir,
        env=server.client_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if ran.returncode != 0:
        raise LiveServerError(f"running {RUN_PIPELINE} failed:\n{ran.stdout[-2000:]}{ran.stderr[-2000:]}")


def expect(response: httpx.Response, what: str) -> None:
    if response.status_code != 200:
        raise LiveServerError(f"seeding: could not {what}: HTTP {response.status_code} {response.text[:300]}")


def run_conformance(server: LiveServer, extra: list[str]) -> int:
    """`conformance run` against the server, with the live target's known deviations."""
    argv = ["run", "--api", "zenml-pipelines", "--base-url", server.base_url, "--login", f"{USERNAME}:{PASSWORD}"]
    return conformance_main([*argv, "--allow", str(KNOWN_DEVIATIONS), *extra])


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `zenml_server`'s finally, like Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m live.zenml_server", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("conformance", help="start, seed, run the conformance suite, stop; more flags go to it")
    commands.add_parser("serve", help="start and seed a server, print its URL, wait for Ctrl-C")
    args, extra = parser.parse_known_args(argv)  # `conformance run` flags (--seed 1, --junit-xml ...) pass through
    if extra and args.command == "serve":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "conformance":  # a bad flag fails now, not after the server has started
        conformance_parser().parse_args(["run", "--api", "zenml-pipelines", *extra])
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background (inherited SIG_IGN)
    started = time.perf_counter()
    try:
        with zenml_server() as server:
            ready = time.perf_counter() - started
            print(f"live: ZenML {ZENML_VERSION} at {server.base_url} (started and seeded in {ready:.1f} s)", flush=True)
            if args.command == "serve":
                print(f"live: log in with {USERNAME}:{PASSWORD or '<empty>'}; log {server.log}; Ctrl-C stops it")
                signal.pause()
                return 0
            code = run_conformance(server, extra)
    except LiveServerError as exc:
        print(f"live: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("live: interrupted; server stopped", file=sys.stderr)
        return 130
    print(f"live: total {time.perf_counter() - started:.1f} s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
