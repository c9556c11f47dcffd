"""The container files, checked as far as a machine without a container
engine allows.

``make lint`` lints the ``Dockerfile`` (hadolint) and validates
``docker-compose.yml`` against the Compose specification's schema. Here:
the files agree with each other and with the CLI (the health check is a
real command, the config mount is where the image reads it, the exposed
port is the one the compose configuration serves on), and what the image
runs is run for real: the wheel its first stage builds is built from the
same files, installed in a fresh virtual environment, and its command
(``vigie --log-format json run``) and health check (``vigie healthcheck``)
run against a real configuration, feed server and SQLite file in the
working directory, as on the image's volume. Building the wheel needs the
package index for setuptools, as the image's build does.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, write_config
from feedbuilder import rss
from feedserver import FeedServer
from ruamel.yaml import YAML
from sqlalchemy.engine import make_url
from vigieproc import vigie, vigie_config

from bot.cli import _parser
from bot.config import load_config

COMPOSE_CONFIG = ROOT / "deploy" / "compose.toml"


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def compose() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
    return data


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_with_a_healthcheck() -> None:
    steps = dockerfile()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    final = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][1]:]
    user = [args for word, args in final if word == "USER"][-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and (not gid or int(gid) > 0)
    # The wheels come from the build stage; no compiler or index in the runtime.
    install = next(args for word, args in final if word == "RUN" and "pip install" in args)
    assert "from=build" in install and "--no-index" in install
    env = dict(pair.split("=", 1) for word, args in final if word == "ENV"
               for pair in shlex.split(args))
    workdir = [args for word, args in final if word == "WORKDIR"][-1]
    assert json.loads([args for word, args in final if word == "VOLUME"][-1]) == [workdir]
    entrypoint = json.loads(next(args for word, args in final if word == "ENTRYPOINT"))
    command = json.loads(next(args for word, args in final if word == "CMD"))
    assert entrypoint == ["vigie"]
    assert _parser().parse_args(command).command == "run"
    healthcheck = next(args for word, args in final if word == "HEALTHCHECK")
    probe = json.loads(healthcheck.split("CMD", 1)[1])
    assert probe[0] == "vigie" and _parser().parse_args(probe[1:]).command == "healthcheck"
    # What compose mounts is where the image reads it; the port it exposes is served.
    vigie_service = compose()["services"]["vigie"]
    mount = next(v for v in vigie_service["volumes"] if isinstance(v, dict))
    assert mount["target"] == env["VIGIE_CONFIG"] and mount["read_only"] is True
    config = load_config(COMPOSE_CONFIG, env={"VIGIE_DB_PASSWORD": "x" * 16})
    exposed = [args for word, args in final if word == "EXPOSE"]
    assert exposed == [str(config.metrics.port)]
    assert config.metrics.address == "0.0.0.0"
    assert any(p.endswith(f":{config.metrics.port}") for p in vigie_service["ports"])


def test_compose_runs_vigie_after_a_healthy_postgres_16_each_with_a_volume() -> None:
    data = compose()
    services = data["services"]
    assert set(services) == {"postgres", "vigie"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["vigie"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        named = [v.split(":", 1)[0] for v in service["volumes"] if isinstance(v, str)]
        assert named and all(volume in data["volumes"] for volume in named), name
    # The configuration reaches that database with the password both are given.
    env = services["postgres"]["environment"]
    config = load_config(COMPOSE_CONFIG, env={"VIGIE_DB_PASSWORD": "s3cret-s3cret"})
    url = make_url(config.storage.url)
    assert (url.host, url.username, url.database, url.password) == (
        "postgres", env["POSTGRES_USER"], env["POSTGRES_DB"], "s3cret-s3cret")
    assert "VIGIE_DB_PASSWORD" in env["POSTGRES_PASSWORD"]
    assert "VIGIE_DB_PASSWORD" in services["vigie"]["environment"]["VIGIE_DB_PASSWORD"]


async def test_vigie_check_accepts_the_compose_configuration() -> None:
    code, out, err = await vigie("check", "--config", str(COMPOSE_CONFIG),
                                 env={"VIGIE_DB_PASSWORD": "s3cret-s3cret"})
    assert code == 0, out + err
    assert "s3cret" not in out + err


# -- the wheel and what the image runs ------------------------------------------------


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel the image's build stage makes,
    from the files its build stage copies; the dependencies come from this
    environment's site-packages (the image installs the same from wheels)."""
    work = tmp_path_factory.mktemp("image")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("bot", "adapters"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
         work / "wheels", src)
    wheel = next((work / "wheels").glob("vigie_bot-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    # What the store needs at run time ships in the wheel, adapters included.
    assert {"bot/_storage/alembic.ini", "bot/_storage/migrations/script.py.mako",
            "adapters/console.py"} <= names
    assert any(n.startswith("bot/_storage/migrations/versions/0001") for n in names)
    assert "vigie = bot.cli:main" in entry_points
    assert "[vigie.destinations]" in entry_points and "[vigie.chat]" in entry_points

    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    located = _run(python, "-c", "import bot, adapters; print(bot.__file__, adapters.__file__)",
                   cwd=work)
    assert all(path.startswith(str(venv)) for path in located.split()), located
    return venv


def test_the_installed_wheel_checks_the_example_configuration(installed: Path,
                                                              tmp_path: Path) -> None:
    out = _run(installed / "bin" / "vigie", "check", "--config", ROOT / "config.example.toml",
               cwd=tmp_path)
    assert "ok (6 sources, 3 topics, 1 subscriptions)" in out


async def test_the_images_command_and_healthcheck_from_the_installed_wheel(
    installed: Path, tmp_path: Path
) -> None:
    data = tmp_path / "volume"  # the image's WORKDIR and volume
    data.mkdir()
    async with FeedServer() as feeds:
        feeds.add("/feed.xml", rss([{"id": "1", "title": "Nvidia GPU news",
                                     "link": "https://news.example/1"}]))
        # A relative SQLite URL, as in the example: it lands in the working directory.
        config = write_config(tmp_path / "config.toml", vigie_config(
            "sqlite:///vigie.db", {"news": feeds.url("/feed.xml")},
            topics='[topics.gpu]\nkeywords = ["GPU"]\n',
            extra='[[subscriptions]]\nname = "s"\ntopics = ["gpu"]\n\n'
                  '[metrics]\nport = 0\naddress = "0.0.0.0"\n'))
        env = {k: v for k, v in os.environ.items() if k != "VIGIE_CONFIG"}
        env["VIGIE_CONFIG"] = str(config)
        proc = await asyncio.create_subprocess_exec(
            installed / "bin" / "vigie", "--log-format", "json", "run", cwd=data, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        log: list[dict[str, Any]] = []
        try:
            assert proc.stderr is not None
            async with asyncio.timeout(60):
                while not any("items recorded" in line["message"] for line in log):
                    raw = await proc.stderr.readline()
                    assert raw, f"vigie exited: {log}"
                    log.append(json.loads(raw))
            serving = next(line["message"] for line in log
                           if line["message"].startswith("serving /healthz"))
            port = int(serving.rsplit(":", 1)[1])
            probe = write_config(tmp_path / "probe.toml",
                                 f'[metrics]\nport = {port}\naddress = "0.0.0.0"\n')
            out = _run(installed / "bin" / "vigie", "healthcheck", "--config", probe)
            assert out.startswith("healthy: event_loop, scheduler, database ok")
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 30)
    assert code == 0, log
    assert (data / "vigie.db").exists()
