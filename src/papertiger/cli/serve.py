"""`papertiger serve vllm MODEL`: a managed `vllm serve` for runs (optional extra `vllm`).

It starts the server in its own process group, waits until it is healthy, prints the base
URL and a `[[model]]` table to paste, and stops it — every process it started — on Ctrl-C
(exit 130) or SIGTERM (exit 143). Flags after `--` go to `vllm serve` as they are.
`start_for_run` does the same around one `papertiger run --serve vllm:MODEL`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from papertiger.cli.app import app
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    from papertiger.providers.vllm_server import VllmServer, VllmServeSpec
    from papertiger.schema import ModelSpec

# The providers package (aiohttp) is imported inside the commands, so that other commands
# do not pay for it.

serve_app = typer.Typer(
    name="serve",
    help="Start a serving engine for papertiger runs (vLLM: pip install 'papertiger\\[vllm]').",
    no_args_is_help=True,
)
app.add_typer(serve_app, name="serve")
err = Console(stderr=True)
PER_REPLICA_CONCURRENCY = 256  # requests in flight per data-parallel replica: vLLM's max_num_seqs
PLACEHOLDER_URL = "http://127.0.0.1:0/v1"  # a served model's base_url before the server is up


class Terminated(Exception):
    """SIGTERM arrived: stop the server as for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def short_name(model: str) -> str:
    """A catalogue name for a model id or path: its last part ('Qwen/Qwen3-8B' → 'Qwen3-8B')."""
    return model.rstrip("/").split("/")[-1] or model


def catalogue_snippet(name: str, server: VllmServer, concurrency: int) -> str:
    """A `[[model]]` table that sends a run to this server."""
    served = server.served_models[0] if server.served_models else server.spec.model
    return "\n".join([
        "[[model]]",
        f"name = {_toml(name)}",
        f"base_url = {_toml(server.base_url)}",
        f"model = {_toml(served)}",
        f"concurrency = {concurrency}",
        "",
    ])


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@serve_app.command("vllm")
def vllm_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    model: Annotated[str, typer.Argument(help="The model to serve: a Hugging Face id or a local path.")],
    vllm_args: Annotated[list[str] | None, typer.Argument(
        help="Flags for `vllm serve`, after --, e.g. -- --max-model-len 32768.", show_default=False)] = None,
    data_parallel_size: Annotated[int | None, typer.Option(
        "--data-parallel-size", min=1, help="Model replicas (vLLM's own data parallelism: one endpoint).")] = None,
    tensor_parallel_size: Annotated[int | None, typer.Option(
        "--tensor-parallel-size", min=1, help="GPUs per replica.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on (default: a free one).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 serves other machines too.")] = "127.0.0.1",
    executable: Annotated[str | None, typer.Option(
        help="The vllm command (default: $PAPERTIGER_VLLM_EXECUTABLE, else vllm on PATH).")] = None,
    log: Annotated[Path | None, typer.Option(help="Write the server's output here (default: a kept temporary file).")] = None,
    startup_timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the server to be healthy.")] = 1800.0,
) -> None:
    """Start `vllm serve MODEL`, print its base URL and a catalogue entry to paste; Ctrl-C stops it."""
    from papertiger.providers.vllm_server import VllmServeSpec

    spec = VllmServeSpec(
        model=model, port=port, host=host, data_parallel_size=data_parallel_size,
        tensor_parallel_size=tensor_parallel_size, extra_args=tuple(vllm_args or ()),
        executable=executable, log_path=log, startup_timeout_s=startup_timeout,
    )
    previous = _install_sigterm()
    try:
        with _started(spec) as server:
            replicas = data_parallel_size or 1
            print(server.base_url, flush=True)
            print("\nPaste into your models.toml:\n", flush=True)
            print(catalogue_snippet(short_name(model), server, PER_REPLICA_CONCURRENCY * replicas),
                  flush=True)
            err.print(f"[green]vllm serve is ready[/] (pid {server.pid}, log "
                      f"{escape(str(server.log_path))}); Ctrl-C stops it")
            server.wait()
            server.check_alive()
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: vllm serve and its processes are stopped")
        raise typer.Exit(130) from None
    except Terminated:
        err.print("[yellow]stopped by SIGTERM[/]: vllm serve and its processes are stopped")
        raise typer.Exit(143) from None
    finally:
        _restore_sigterm(previous)


@contextlib.contextmanager
def _started(spec: VllmServeSpec) -> Iterator[VllmServer]:
    """Start the server with a word on stderr about what is happening; stop it after."""
    from papertiger.providers.vllm_server import VllmServer

    server = VllmServer(spec)
    server.launch()
    try:
        err.print(f"started [bold]{escape(shlex.join(server.command))}[/] (pid {server.pid}); "
                  f"waiting for {server.root_url}/health (log: {escape(str(server.log_path))})")
        while not server.probe():
            time.sleep(spec.poll_s)
        yield server
    finally:
        server.stop()


def _install_sigterm() -> Any:
    if sys.platform == "win32":  # pragma: no cover
        return None
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (tests calling in a thread)
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------- papertiger run --serve
@dataclasses.dataclass(frozen=True)
class RunServe:
    """`papertiger run --serve 'vllm:MODEL [vLLM flags]'`: the server to start, and the
    run's models, those served by it carrying `PLACEHOLDER_URL` until it is up."""

    spec: VllmServeSpec
    models: tuple[ModelSpec, ...]
    served: frozenset[str]

    @contextlib.contextmanager
    def start(self, console: Console) -> Iterator[tuple[ModelSpec, ...]]:
        """Start the server, yield the models pointed at it, stop it when the block ends."""
        console.print(f"starting vllm serve {escape(self.spec.model)} for this run ...")
        with _started(self.spec) as server:
            console.print(f"[green]vllm serve is ready[/] at {server.base_url} (log {escape(str(server.log_path))})")
            yield tuple(
                m.model_copy(update={"base_url": server.base_url}) if m.name in self.served else m
                for m in self.models
            )


def plan_serve(value: str, catalogue: Path | None, names: list[str] | None) -> RunServe:
    """Parse `--serve` and choose the models it serves; nothing is started yet.

    Models whose model id is MODEL are sent to the server. Without --models one entry is
    made (known metadata included when papertiger knows the model); with --models and no
    --model, the file's entries for MODEL run; other models named by --model keep theirs.
    """
    words = shlex.split(value)
    if not words or not words[0].startswith("vllm:") or not words[0][5:]:
        raise ConfigError(f"--serve takes 'vllm:MODEL [vLLM flags]', e.g. 'vllm:Qwen/Qwen3-8B "
                          f"--data-parallel-size 8', not {value!r}")
    from papertiger.providers.vllm_server import VllmServeSpec

    served_id = words[0][5:]
    spec = VllmServeSpec(model=served_id, extra_args=tuple(words[1:]))
    models = _served_models(served_id, catalogue, names)
    served = frozenset(m.name for m in models if m.endpoint_model == served_id)
    pointed = tuple(
        m.model_copy(update={"base_url": PLACEHOLDER_URL, "provider": "openai"}) if m.name in served else m
        for m in models
    )
    return RunServe(spec, pointed, served)


def _served_models(served_id: str, path: Path | None, names: list[str] | None) -> tuple[ModelSpec, ...]:
    from papertiger.config import known_models, load_catalogue, read_catalogue
    from papertiger.schema import ModelSpec

    if path is None:
        if names and len(names) > 1:
            raise ConfigError("without --models, --serve runs the one model it serves; "
                              "give a catalogue to run several")
        known = known_models().get(short_name(served_id).lower())
        name = names[0] if names else (known.name if known else short_name(served_id))
        base = known or ModelSpec(name=name, concurrency=PER_REPLICA_CONCURRENCY)
        update = {"name": name, "model": served_id, "concurrency": PER_REPLICA_CONCURRENCY}
        return (base.model_copy(update=update),)
    catalogue = load_catalogue(path)
    if names:
        missing = [n for n in names if n not in catalogue]
        if missing:
            raise ConfigError(f"--model {missing[0]!r} is not in {path}")
        chosen = [catalogue[n] for n in names]
        lacking = [m.name for m in chosen if m.endpoint_model != served_id and not m.base_url]
        if lacking:
            raise ConfigError(f"--model {lacking[0]!r} has no base_url in {path} and is not "
                              f"{served_id!r}, the model --serve starts")
        return tuple(chosen)
    chosen = [catalogue[n] for n in read_catalogue(path) if catalogue[n].endpoint_model == served_id]
    if not chosen:
        raise ConfigError(f"{path}: no [[model]] has model = {_toml(served_id)}, the model "
                          "--serve starts; add one, or leave out --models")
    return tuple(chosen)
