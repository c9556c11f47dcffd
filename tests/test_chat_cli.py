"""End to end through ``vigie chat``: the console as a chat platform, real store, real feed."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from conftest import write_config
from feedserver import FeedServer
from vigieproc import vigie

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tech</title><link>https://tech.example/</link>
<language>fr</language>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://tech.example/{guid}</link>
<guid>{guid}</guid><pubDate>{date}</pubDate><description>{body}</description></item>"""


def feed(*items: tuple[str, str, str]) -> str:
    date = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)
    return FEED.format(items="".join(
        ITEM.format(guid=g, title=t, body=b, date=date) for g, t, b in items))


MUSK = ("m1", "Elon Musk achète 100 000 GPU pour l’IA générative de Twitter",
        "Le milliardaire investit massivement.")
QUBIT = ("q1", "Un processeur à 1000 qubits présenté par IBM", "Une avancée quantique.")


async def test_chat_session_end_to_end(tmp_path: Path, store_url: str) -> None:
    async with FeedServer() as srv:
        srv.add("/feed.xml", feed(MUSK))
        config = write_config(tmp_path / "vigie.toml", f"""
            [storage]
            url = "{store_url}"
            [fetch]
            allow_private_addresses = true
            [poll]
            first_poll_alerts = true
            [[sources]]
            name = "tech"
            url = "{srv.url('/feed.xml')}"
            [topics.musk]
            name = "Musk"
            keywords = ["Musk"]
            [topics.quantum]
            name = "Quantique"
            keywords = ["ordinateur quantique"]
            editable = true
        """)
        args = ("chat", "--config", str(config), "--channel", "general")

        # A member cannot subscribe; an admin can.
        code, out, err = await vigie(*args, "--as", "bob", stdin="subscribe musk\n")
        assert code == 0, err
        assert out.startswith("✘ only admins can use `subscribe`")
        code, out, err = await vigie(*args, "--as", "alice", "--admin",
                                     stdin="subscribe musk\nsubscribe quantum\nlist\n")
        assert code == 0, err
        assert "Subscribed this channel to topic Musk (#1)" in out
        assert "Subscribed this channel to topic Quantique (#2)" in out
        assert "#1  topics Musk" in out and "#2  topics Quantique" in out

        # The poll delivers the alert to the console and stores the item.
        code, out, err = await vigie("poll", "--once", "--config", str(config))
        assert code == 0, err
        assert "Elon *Musk* achète" in out

        code, out, err = await vigie(*args, stdin="recent\nsearch generative twitter\n"
                                                  "search qubits\n")
        assert code == 0, err
        recent, _, search = out.partition("== Search")
        assert "▶ [tech] Elon *Musk* achète 100 000 GPU" in recent
        assert ": generative twitter (1) ==" in search
        assert "l’IA *générative* de *Twitter*" in search
        assert "No stored item matches qubits." in search

        # An admin edit of an editable topic changes what the next poll matches.
        code, out, err = await vigie(*args, "--as", "alice", "--admin",
                                     stdin="keywords add quantum qubit\naudit\n")
        assert code == 0, err
        assert "quantum keywords: + 'qubit'" in out
        assert "alice · keywords add quantum" in out and "alice · subscribe #1" in out
        srv.add("/feed.xml", feed(MUSK, QUBIT))
        code, out, err = await vigie("poll", "--once", "--config", str(config))
        assert code == 0, err
        assert "Un processeur à 1000 *qubits* présenté par IBM" in out
        assert "Musk" not in out  # already delivered once

        # The edit survives a restart and shows in the exported configuration.
        code, out, err = await vigie("config", "export", "--config", str(config))
        assert code == 0, err
        assert 'keywords = ["ordinateur quantique", "qubit"]' in out
        assert 'name = "chat-2"\ntopics = ["quantum"]\ndestination = "console"' in out


async def test_the_example_config_lets_chat_admins_edit_its_topics(tmp_path: Path) -> None:
    """The README's chat walkthrough on config.example.toml: its topics are editable."""
    from conftest import ROOT

    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert 'url = "sqlite:///vigie.db"' in example
    config = tmp_path / "example.toml"
    config.write_text(example.replace('url = "sqlite:///vigie.db"',
                                      f'url = "sqlite:///{tmp_path / "vigie.db"}"'),
                      encoding="utf-8")
    code, out, err = await vigie("chat", "--admin", "--config", str(config),
                                 stdin='keywords add gpu "RTX 5090"\ntopics\n')
    assert code == 0, err
    assert "✘" not in out, out
    assert "RTX 5090" in out.split("Topics", 1)[1]
