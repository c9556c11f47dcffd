"""The real ``vigie`` process, for the end-to-end tests.

Usage::

    code, out, err = await vigie("check", "--config", str(config))

    config = write_config(tmp_path / "vigie.toml", vigie_config(
        store_url, {"numerama": feeds.url("/feed.xml")}, extra="[discord]\\n..."))
    run = await VigieProcess.start(config, env={"DISCORD_TOKEN": token})
    try:
        await run.wait_log(r"connected as", timeout=30)
        await until(lambda: feeds.hits("/feed.xml") >= 1, "the first poll")
    finally:
        code = await run.stop()
    assert code == 0, run.log

Every process is ``python -m bot.cli`` from the repository root, with
``NO_COLOR=1`` and without ``VIGIE_CONFIG`` (the tests say which file to read).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from conftest import ROOT

__all__ = ["FOUNDING_TOPICS", "VigieProcess", "until", "vigie", "vigie_config"]

# The three topics of the founding example (an article about Musk buying GPUs
# for generative AI matches all three).
FOUNDING_TOPICS = """
[topics.gpu]
name = "GPU"
keywords = ["GPU"]

[topics.iagen]
name = "IA générative"
keywords = ["IA générative", "intelligence artificielle générative", "generative AI"]

[topics.musk]
name = "Musk"
keywords = ["Musk"]
"""


def vigie_config(store_url: str, sources: Mapping[str, str], *, interval: str | None = "10s",
                 topics: str = FOUNDING_TOPICS, extra: str = "", timeout: str = "5s") -> str:
    """The TOML of a configuration polling local feeds.

    ``[storage]`` at ``store_url``; ``[fetch]`` allowing private addresses
    (the feeds are on 127.0.0.1) with a ``timeout`` (5 s); one ``[[sources]]`` per
    entry of ``sources`` (name to URL), polled every ``interval`` (the default
    interval when None); then ``topics`` and ``extra``, which must each start
    with a table header (a bare key there would land in the last topic).
    """
    every = "" if interval is None else f'interval = "{interval}"\n'
    listed = "".join(f'\n[[sources]]\nname = "{name}"\nurl = "{url}"\n{every}'
                     for name, url in sources.items())
    return (f'\n[storage]\nurl = "{store_url}"\n\n'
            f'[fetch]\nallow_private_addresses = true\ntimeout = "{timeout}"\n'
            f"{listed}{topics}\n{extra}")


def _environ(env: Mapping[str, str | None] | None) -> dict[str, str]:
    """This process's environment for a child: no VIGIE_CONFIG, NO_COLOR=1,
    then ``env`` (a None value removes the variable)."""
    out = {k: v for k, v in os.environ.items() if k != "VIGIE_CONFIG"}
    out["NO_COLOR"] = "1"
    for key, value in (env or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


async def vigie(*args: str, env: Mapping[str, str | None] | None = None,
                stdin: str | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """Run ``vigie *args`` to its end; returns (exit code, stdout, stderr).

    Raises TimeoutError if it runs longer than ``timeout`` seconds (it is
    killed then). ``env`` is added to the environment; a None value removes
    a variable (``{"VIGIE_CONFIG": "..."}`` sets it back).
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=str(ROOT), env=_environ(env))
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin is not None else None), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait until ``predicate()`` holds, checked every 50 ms (the fakes and the
    feed server have no event for everything).

    Raises AssertionError naming ``what`` after ``timeout`` seconds.
    """
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


class VigieProcess:
    """``vigie run`` as a subprocess, its standard output and error read as they come.

    Start it with :meth:`start`; always end it with :meth:`stop` (SIGTERM, the
    clean shutdown) or :meth:`kill` (SIGKILL, a crash), in a ``finally``.
    """

    def __init__(self, proc: asyncio.subprocess.Process, log_file: Path | None = None) -> None:
        self.proc = proc
        self.lines: list[str] = []  # standard error: the log
        self.out_lines: list[str] = []  # standard output: console alerts
        self._changed = asyncio.Event()
        self._log_file = log_file
        self._reader = asyncio.create_task(self._read_all())

    @classmethod
    async def start(cls, config: Path, *, env: Mapping[str, str | None] | None = None,
                    options: Sequence[str] = (), log_file: Path | None = None) -> VigieProcess:
        """Start ``vigie [options] run --config config``.

        ``env`` is added to the environment (a None value removes a variable).
        The log is also appended to ``log_file`` if given, which keeps the logs
        of successive runs together.
        """
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *options, "run", "--config", str(config),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=str(ROOT), env=_environ(env))
        return cls(proc, log_file)

    async def _read_all(self) -> None:
        assert self.proc.stdout is not None and self.proc.stderr is not None
        sink = self._log_file.open("ab") if self._log_file is not None else None
        try:
            await asyncio.gather(self._read(self.proc.stdout, self.out_lines, None),
                                 self._read(self.proc.stderr, self.lines, sink))
        finally:
            if sink is not None:
                sink.close()
            # Wake any waiter: nothing more will come.
            self._changed.set()

    async def _read(self, stream: asyncio.StreamReader, lines: list[str],
                    sink: IO[bytes] | None) -> None:
        while line := await stream.readline():
            if sink is not None:
                sink.write(line)
                sink.flush()
            lines.append(line.decode(errors="replace"))
            self._changed.set()

    @property
    def log(self) -> str:
        """Standard error so far."""
        return "".join(self.lines)

    @property
    def output(self) -> str:
        """Standard output so far."""
        return "".join(self.out_lines)

    async def wait_log(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first log line matching ``pattern``, waiting for it if need be.

        Raises AssertionError (with the log) if the process ends first or
        after ``timeout`` seconds.
        """
        return await self._wait(self.lines, "log", pattern, timeout)

    async def wait_output(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first line of standard output matching ``pattern``, as :meth:`wait_log`."""
        return await self._wait(self.out_lines, "output", pattern, timeout)

    async def _wait(self, lines: list[str], where: str, pattern: str,
                    timeout: float) -> re.Match[str]:
        regex = re.compile(pattern)
        seen = 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for line in lines[seen:]:
                        if m := regex.search(line):
                            return m
                    seen = len(lines)
                    if self._reader.done():
                        raise AssertionError(
                            f"vigie exited before its {where} matched {pattern!r}:\n{self.log}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"no line of the {where} matches {pattern!r} after "
                                 f"{timeout}s:\n{self.log}") from None

    async def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code once the process and its output have ended.

        Raises AssertionError (after a SIGKILL) if it does not exit within
        ``timeout`` seconds.
        """
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise AssertionError(
                f"vigie did not exit within {timeout}s of SIGTERM:\n{self.log}") from None
        await asyncio.wait_for(self._reader, 10)
        return code

    async def kill(self) -> None:
        """SIGKILL (unless it has already exited), and wait for the end of its output."""
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        await asyncio.wait_for(self._reader, 10)
