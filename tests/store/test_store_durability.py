"""Durability: other processes see committed batches, and a killed writer loses none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from store_records import make_record

from papertiger.store import SQLiteStore, open_store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


# The child skips the package facade (papertiger/__init__ imports the analysis stack,
# seconds of start-up); the store needs only schema, errors and itself.
PRELUDE = f"""
import sys, types
facade = types.ModuleType("papertiger")
facade.__path__ = [{str(ROOT / "src" / "papertiger")!r}]
sys.modules["papertiger"] = facade
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(HERE)])}
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_another_process_reads_while_the_writer_is_open(store: SQLiteStore) -> None:
    store.put_attempts([make_record(f"k{i}") for i in range(5)])
    reader = _python(
        """
        import json, sys
        from papertiger.store import open_store
        with open_store(sys.argv[1]) as store:
            print(json.dumps(sorted(store.finished_keys())))
        """,
        str(store.path),
    )
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert json.loads(out) == [f"k{i}" for i in range(5)]
    store.put_attempts([make_record("k5")])  # the writer carries on afterwards
    assert len(store.finished_keys()) == 6


def test_killed_writer_loses_no_committed_batch(store_path: Path) -> None:
    writer = _python(
        """
        import sys, time
        from papertiger.store import open_store
        from store_records import make_record
        store = open_store(sys.argv[1])
        store.put_attempts([make_record(f"k{i}") for i in range(3)])
        print("committed", flush=True)
        time.sleep(60)
        """,
        str(store_path),
    )
    assert writer.stdout is not None
    line = writer.stdout.readline()
    assert line.strip() == "committed", writer.stderr.read() if writer.stderr else ""
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    with open_store(store_path) as store:
        assert store.finished_keys() == {"k0", "k1", "k2"}


def test_threads_share_one_store(store_path: Path) -> None:
    with open_store(store_path) as store:

        def write(worker: int) -> None:
            for batch in range(10):
                keys = [f"w{worker}-b{batch}-{i}" for i in range(5)]
                store.put_attempts([make_record(k) for k in keys])

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.count_attempts() == 4 * 10 * 5
