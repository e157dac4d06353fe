"""`vllm serve` as a child process: start it, wait until it is healthy, hand out its URL, stop it.

vLLM scales itself (`--data-parallel-size`, `--tensor-parallel-size`, Ray across nodes);
papertiger only starts the server, forwards its flags and then talks to it over HTTP like
any OpenAI-compatible endpoint, so no vLLM import is needed here. The child runs in a
process group of its own (vLLM starts engine-core and worker processes): a Ctrl-C in the
terminal reaches papertiger alone, which then stops the whole group in order — SIGTERM,
then SIGKILL after a grace period — on a clean exit, an exception or a signal alike. The
server's output goes to a log file; a crash during start-up is reported in one line that
holds the log's last lines.

    with VllmServer(VllmServeSpec("Qwen/Qwen3-8B", data_parallel_size=8)) as server:
        server.base_url                   # "http://127.0.0.1:PORT/v1"
    async with VllmServer(spec) as server: ...

The `vllm` command is `spec.executable`, else `$PAPERTIGER_VLLM_EXECUTABLE`, else `vllm`
on PATH or beside the running Python.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from papertiger.errors import ConfigError, MissingExtra, ProviderError

__all__ = ["EXECUTABLE_ENV", "VllmServeSpec", "VllmServer", "find_executable", "free_port"]

EXECUTABLE_ENV = "PAPERTIGER_VLLM_EXECUTABLE"
_OWN_FLAGS = ("--port", "--host")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Health probes go straight to the server, never through an http_proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class VllmServeSpec:
    """How to start `vllm serve MODEL`; `extra_args` are passed on as they are.

    `port` None picks a free one. `host` is where the server listens (127.0.0.1 keeps it
    off the network; 0.0.0.0 serves other machines too). `startup_timeout_s` covers the
    model download, weight loading and compilation; `stop_grace_s` is how long SIGTERM
    has before SIGKILL.
    """

    model: str
    port: int | None = None
    host: str = "127.0.0.1"
    data_parallel_size: int | None = None
    tensor_parallel_size: int | None = None
    extra_args: tuple[str, ...] = ()
    executable: str | None = None
    log_path: Path | None = None
    startup_timeout_s: float = 1800.0
    stop_grace_s: float = 30.0
    poll_s: float = 0.25

    def __post_init__(self) -> None:
        if not self.model or self.model.startswith("-"):
            raise ConfigError(f"vllm serve needs a model id or path first, not {self.model!r}")
        for name in ("data_parallel_size", "tensor_parallel_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
        for arg in self.extra_args:
            flag = arg.split("=", 1)[0]
            if flag in _OWN_FLAGS:
                raise ConfigError(
                    f"give {flag} as papertiger's own option, not among the vLLM flags after "
                    "'--' (papertiger must know where the server listens)"
                )

    def command(self, executable: str, port: int) -> list[str]:
        """The command line: `vllm serve MODEL --host H --port P [parallelism] [extra]`."""
        cmd = [executable, "serve", self.model, "--host", self.host, "--port", str(port)]
        if self.data_parallel_size is not None:
            cmd += ["--data-parallel-size", str(self.data_parallel_size)]
        if self.tensor_parallel_size is not None:
            cmd += ["--tensor-parallel-size", str(self.tensor_parallel_size)]
        return [*cmd, *self.extra_args]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    """Refuse a port someone listens on (SO_REUSEADDR as uvicorn: old connections don't count)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"port {port} on {host} is taken ({exc.strerror}); pick another "
                              "with --port, or leave it out for a free one") from None


def find_executable(name: str | None) -> str:
    """The `vllm` command to run; a missing one names the extra that installs it."""
    import shutil

    wanted = name or os.environ.get(EXECUTABLE_ENV) or None
    found = shutil.which(wanted or "vllm")
    if found is None and wanted is None:
        beside = Path(sys.executable).parent / "vllm"
        if beside.is_file() and os.access(beside, os.X_OK):
            found = str(beside)
    if found is not None:
        return found
    if wanted is not None:
        raise ConfigError(f"the vllm command {wanted!r} is not an executable file (or not on PATH)")
    raise MissingExtra(
        "papertiger serve vllm needs vLLM, and no `vllm` command is on PATH: "
        "pip install 'papertiger[vllm]' (on the machine with the GPUs), or name the "
        f"command with --executable or ${EXECUTABLE_ENV}"
    )


class VllmServer:
    """One `vllm serve` child: `start()`/`stop()`, or a (sync or async) context manager."""

    def __init__(self, spec: VllmServeSpec) -> None:
        self.spec = spec
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = spec.log_path
        self.served_models: tuple[str, ...] = ()
        self.command: list[str] = []
        self._log: IO[bytes] | None = None
        self._deadline = 0.0

    # ------------------------------------------------------------------ where it is
    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` (the loopback address when listening on all interfaces)."""
        host = self.spec.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, `.../v1`, for a `[[model]]` entry."""
        return f"{self.root_url}/v1"

    @property
    def pid(self) -> int | None:
        """The server's process id (also its process group's)."""
        return None if self.process is None else self.process.pid

    def running(self) -> bool:
        """Whether the child is still alive."""
        return self.process is not None and self.process.poll() is None

    # ------------------------------------------------------------------ start
    def launch(self) -> None:
        """Start the child without waiting for it (`start()` also waits until it is ready)."""
        executable = find_executable(self.spec.executable)
        if self.spec.port is None:
            self.port = free_port(self.spec.host or "127.0.0.1")
        else:
            _check_port(self.spec.host or "0.0.0.0", self.spec.port)
            self.port = self.spec.port
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix=f"papertiger-vllm-{self.port}-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        self.command = self.spec.command(executable, self.port)
        self._log = self.log_path.open("ab")
        self._log.write(f"$ {shlex.join(self.command)}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            self.command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._deadline = time.monotonic() + self.spec.startup_timeout_s

    def probe(self) -> bool:
        """One health check: True once `/health` and `/v1/models` answer.

        Raises ConfigError when the child has exited or the start-up timeout has passed.
        """
        if self.process is None:
            raise ConfigError("the vLLM server was not started")
        code = self.process.poll()
        if code is not None:
            raise ConfigError(self.exit_message(code, "during start-up"))
        if time.monotonic() > self._deadline:
            raise ConfigError(
                f"vllm serve did not become healthy within {self.spec.startup_timeout_s:g} s "
                f"(raise --startup-timeout for a large model); last log lines: "
                f"{self.log_tail()} (full log: {self.log_path})"
            )
        try:
            with _OPENER.open(f"{self.root_url}/health", timeout=2) as reply:
                if reply.status != 200:
                    return False
            with _OPENER.open(f"{self.root_url}/v1/models", timeout=5) as reply:
                listing = json.load(reply)
        except (OSError, ValueError, http.client.HTTPException):
            return False  # not listening yet, still loading (503), or a half-written reply
        data = listing.get("data") if isinstance(listing, dict) else None
        self.served_models = tuple(
            str(m["id"]) for m in (data or []) if isinstance(m, dict) and "id" in m
        )
        return True

    def start(self) -> VllmServer:
        """Launch and wait until healthy; on any failure (Ctrl-C too) the child is stopped."""
        self.launch()
        try:
            while not self.probe():
                time.sleep(self.spec.poll_s)
        except BaseException:
            self.stop()
            raise
        return self

    # ------------------------------------------------------------------ stop
    def _signal_group(self, sig: int) -> bool:
        """Signal the child's process group; False when no process is left in it."""
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _reap_group(self, seconds: float) -> None:
        """Give what is left of the group (vLLM's engine processes) `seconds`, then SIGKILL."""
        deadline = time.monotonic() + seconds
        while self._signal_group(0):  # signal 0: is anyone left?
            if time.monotonic() > deadline:
                self._signal_group(signal.SIGKILL)
                return
            time.sleep(0.05)

    def stop(self) -> int | None:
        """Stop the server and every process it started; idempotent. Returns its exit status.

        SIGTERM first, SIGKILL after `stop_grace_s`; a second Ctrl-C skips the grace.
        """
        proc = self.process
        if proc is None:
            return None
        try:
            if proc.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    proc.wait(self.spec.stop_grace_s)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    proc.wait(30)
                except KeyboardInterrupt:
                    self._signal_group(signal.SIGKILL)
                    proc.wait(30)
                    raise
            self._reap_group(min(5.0, self.spec.stop_grace_s))
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
        return proc.returncode

    def wait(self) -> int:
        """Block until the server exits on its own (or a signal interrupts the wait)."""
        if self.process is None:
            raise ConfigError("the vLLM server was not started")
        return self.process.wait()

    # ------------------------------------------------------------------ reporting
    def log_tail(self, lines: int = 6) -> str:
        """The log's last non-empty lines, joined into one line with ' | '."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        with self.log_path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
        kept = [_ANSI.sub("", line).strip() for line in text.splitlines()]
        kept = [line[:300] for line in kept if line and not line.startswith("$ ")]
        return " | ".join(kept[-lines:]) or "(the log is empty)"

    def exit_message(self, code: int, when: str) -> str:
        """One line: how the server ended, its last log lines and where the full log is."""
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        return f"vllm serve {how} {when}: {self.log_tail()} (full log: {self.log_path})"

    def check_alive(self) -> None:
        """Raise ProviderError (with the log's last lines) when the server has died."""
        code = None if self.process is None else self.process.poll()
        if code is not None:
            raise ProviderError(self.exit_message(code, "while serving"), code="server_exit")

    # ------------------------------------------------------------------ context managers
    def __enter__(self) -> VllmServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> VllmServer:
        await asyncio.to_thread(self.launch)
        try:
            while not await asyncio.to_thread(self.probe):
                await asyncio.sleep(self.spec.poll_s)
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)
