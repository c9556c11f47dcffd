"""Configuration loading and validation: every error reported, with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, write_config

from bot.config import load_config, parse_duration, parse_size, validate
from bot.exceptions import ConfigError, InvalidValueError

MINIMAL = {
    "sources": [{"name": "a", "url": "https://example.org/feed"}],
    "topics": {"gpu": {"keywords": ["GPU"]}},
    "subscriptions": [{"name": "s", "topics": ["gpu"]}],
}


def problems(data: dict[str, object], **kw: object) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        validate(data, path="f.toml", **kw)  # type: ignore[arg-type]
    return err.value.problems


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert {t.id for t in config.topics} == {"gpu", "iagen", "musk"}
    assert len(config.sources) >= 4
    assert {s.language for s in config.sources} >= {"fr", "en"}
    assert config.subscriptions[0].destination == "console"
    # Chat admins may edit the founding topics, as the README's chat walkthrough invites.
    assert all(t.editable for t in config.topics)
    assert config.metrics.port is None  # documented, commented out: no port opened


def test_minimal_config_gets_defaults() -> None:
    config = validate(MINIMAL, env={})
    assert config.sources[0].interval == 600
    assert config.sources[0].enabled
    assert config.topics[0].name == "gpu"
    assert config.topics[0].fields == ("title", "summary", "content")
    assert config.storage.url == "sqlite:///vigie.db"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10), ("90s", 90), ("10m", 600), ("1h", 3600), ("2d", 172800), (30, 30), ("1.5m", 90)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "-5s", "0s", "5 parsecs"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidValueError):
        parse_duration(text)


def test_sizes() -> None:
    assert parse_size("10MB") == 10_000_000
    assert parse_size("512KiB") == 512 * 1024
    with pytest.raises(ValueError):
        parse_size("big")


def test_every_problem_is_reported_with_its_key_path() -> None:
    data = {
        "storage": {"url": "mysql://x", "pool": 3},
        "sources": [
            {"name": "a", "url": "ftp://example.org/feed", "interval": "5s"},
            {"name": "a", "url": "https://example.org/2", "enabled": "yes"},
            {"url": "https://example.org/3"},
        ],
        "topics": {
            "gpu": {"keywords": ["GPU", "", "x" * 300], "fields": ["title", "body"],
                    "languages": ["fr", "???"]},
            "empty": {"keywords": []},
        },
        "subscriptions": [
            {"name": "s", "topics": ["gpu", "nope"], "query": "(GPU", "destination": "telex:1"},
            {"name": "t"},
        ],
        "extra": 1,
    }
    got = problems(data, env={}, destination_schemes=frozenset({"console"}))
    keys = [k for k, _ in got]
    expected = [
        "storage.url", "storage.pool", "sources[0].url", "sources[0].interval",
        "sources[1].name", "sources[1].enabled", "sources[2].name",
        "topics.gpu.keywords[1]", "topics.gpu.keywords[2]", "topics.gpu.fields[1]",
        "topics.gpu.languages[1]", "topics.empty.keywords",
        "subscriptions[0].topics[1]", "subscriptions[0].query",
        "subscriptions[0].destination", "subscriptions[1]", "extra",
    ]
    for key in expected:
        assert key in keys, (key, got)
    messages = dict(got)
    assert "position" in messages["subscriptions[0].query"]
    assert messages["storage.pool"] == "unknown key"
    assert "telex" in messages["subscriptions[0].destination"]
    assert "at least 10s" in messages["sources[0].interval"]


def test_environment_variables_are_expanded_and_missing_ones_reported() -> None:
    data = {**MINIMAL, "storage": {"url": "postgresql+asyncpg://u:${DB_PW}@h/db"}}
    config = validate(data, env={"DB_PW": "s3cret"})
    assert config.storage.url == "postgresql+asyncpg://u:s3cret@h/db"
    got = problems(data, env={})
    assert got == [("storage.url", "environment variable DB_PW is not set")]


def test_error_text_has_file_key_and_message(tmp_path: Path) -> None:
    path = write_config(tmp_path / "bad.toml", """
        [[sources]]
        name = "a"
        url = "https://example.org/feed"
        interval = "soon"
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}: sources[0].interval: ")


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = write_config(tmp_path / "broken.toml", "[storage\nurl=1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.problems[0][0] == "<toml>"
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "missing.toml", env={})
    assert err.value.problems == [("<file>", "no such file")]


def test_booleans_are_not_numbers() -> None:
    data = {**MINIMAL, "fetch": {"per_host": True}}
    assert problems(data, env={})[0][0] == "fetch.per_host"


@pytest.mark.parametrize("value", [
    "3000000d", "9" * 400 + "s", float("nan"), float("inf"), 10**400, 3651 * 86400, [1], None,
])
def test_durations_are_bounded(value: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        parse_duration(value)  # type: ignore[arg-type]
    assert "expected a duration" in str(info.value) or "at most 3650d" in str(info.value)


def test_duration_ranges_are_said_in_the_error() -> None:
    assert parse_duration("30d", at_least=10, at_most=30 * 86400) == 30 * 86400
    for bad in ("5s", "31d"):
        with pytest.raises(ValueError, match=r"^must be at least 10s and at most 30d$"):
            parse_duration(bad, at_least=10, at_most=30 * 86400)
    with pytest.raises(ValueError, match=r"^must be at least 1KiB and at most 1GiB$"):
        parse_size("2GiB", at_least=1024, at_most=1024**3)
    with pytest.raises(ValueError):
        parse_size("9" * 400)


def test_metrics_table_is_off_by_default_and_checked() -> None:
    assert validate(MINIMAL, env={}).metrics.port is None
    config = validate({**MINIMAL, "metrics": {"port": 9108, "address": "::"}}, env={})
    assert (config.metrics.port, config.metrics.address) == (9108, "::")
    assert validate({**MINIMAL, "metrics": {"port": 0}}, env={}).metrics.address == "127.0.0.1"
    assert problems({**MINIMAL, "metrics": {"port": 65536, "address": "exa mple",
                                            "path": "/m"}}, env={}) == [
        ("metrics.port", "must be at least 0 and at most 65535"),
        ("metrics.address", 'must be an IP address ("127.0.0.1", "0.0.0.0", "::") or a '
                            "host name"),
        ("metrics.path", "unknown key"),
    ]
    assert problems({**MINIMAL, "metrics": {"port": "9108"}}, env={}) == [
        ("metrics.port", "expected an integer, got a string")]


def test_environment_values_are_known_secrets() -> None:
    config = validate({**MINIMAL, "storage": {"url": "sqlite:///${DB_DIR}/v.db"},
                       "fetch": {"user_agent": "Vigie ${SHORT}"}},
                      env={"DB_DIR": "/var/lib/vigie-secret", "SHORT": "ok"})
    assert config.secrets == frozenset({"/var/lib/vigie-secret"})  # "ok" is too short


def test_odd_keys_are_quoted_on_one_line() -> None:
    data = {**MINIMAL, "topics": {"gpu": {"keywords": ["GPU"]}, "a b\n": {"keywords": []}}}
    assert problems(data, env={}) == [
        ('topics."a b\\u000a"', "topic ids use letters, digits, '-', '_' or '.' (at most 64)"),
        ('topics."a b\\u000a".keywords', "needs at least one phrase"),
    ]
