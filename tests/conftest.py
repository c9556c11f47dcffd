"""Shared fixtures: back-end selection and configuration files.

PostgreSQL tests run when ``VIGIE_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it to the local server); each test gets a schema of its own, dropped after.
"""

from __future__ import annotations

import os
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("VIGIE_TEST_POSTGRES_URL")

# The tests import their helpers (feedserver, feedbuilder) as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])

# CI gates a landing: there, property tests run a fixed set of examples so a
# run is reproducible; locally they explore new random examples every time.
# `make fuzz` (VIGIE_FUZZ=1) runs the tests marked `fuzz` far longer. Fuzz
# tests take their number of examples from the profile: they set no
# max_examples of their own.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("VIGIE_FUZZ_EXAMPLES", "5000")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
if os.environ.get("VIGIE_FUZZ"):
    settings.load_profile("fuzz")
elif os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def pg_schema_url() -> AsyncIterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (dropped afterwards)."""
    if not POSTGRES_URL:
        pytest.skip("VIGIE_TEST_POSTGRES_URL is not set")
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}vigie_schema={schema}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A storage URL for the current back-end, empty for each test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'vigie.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


def write_config(path: Path, text: str) -> Path:
    """Write a TOML configuration (dedented) and return its path."""
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("VIGIE_CONFIG", raising=False)
    yield
