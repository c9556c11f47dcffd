"""Where the real feeds are, for the tests and the benchmarks alike.

Two sets of feeds as their publishers served them, from the MIT-licensed
fastfeedparser benchmark data (Kagi Search):

* the sample shipped with the repository, ``tests/data/realfeeds/`` (about
  twenty feeds picked for variety; its README says why each one), which the
  tests that must always run use;
* the full corpus (182 feeds, 21 MB), which is not in the repository: the
  directory named by ``VIGIE_CORPUS``, else ``../shared/corpus/realfeeds``
  beside the repository root. Tests that need it skip, saying why, when it
  is absent; benchmarks fall back to the sample and say so.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).resolve().parent / "data" / "realfeeds"
CORPUS_ENV = "VIGIE_CORPUS"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "realfeeds"
#: What the directories hold besides their README: feeds, and the licence text.
FEED_SUFFIXES = (".xml", ".json")
DATA_SUFFIXES = (*FEED_SUFFIXES, ".txt")


def corpus_location() -> tuple[Path, str]:
    """Where the full corpus should be, and how that was decided (for messages)."""
    configured = os.environ.get(CORPUS_ENV)
    if configured:
        return Path(configured).expanduser(), f"{CORPUS_ENV}={configured}"
    return DEFAULT_CORPUS, f"{CORPUS_ENV} unset, default ../shared/corpus/realfeeds"


def full_corpus() -> Path | None:
    """The full corpus directory, or None when it is not there."""
    path, _ = corpus_location()
    return path if path.is_dir() else None


def missing_corpus_reason() -> str:
    path, how = corpus_location()
    return f"the full real-feeds corpus is absent ({how}: no directory {path})"


def data_files(directory: Path) -> list[Path]:
    """The feeds and the licence text of ``directory``, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in DATA_SUFFIXES)


def feed_files(directory: Path) -> list[Path]:
    """The feeds of ``directory`` (``.xml`` and ``.json``), sorted by name."""
    return [p for p in data_files(directory) if p.suffix in FEED_SUFFIXES]


def bench_feeds(explicit: Path | None = None) -> tuple[Path, str]:
    """The directory a benchmark reads, and a line saying which one it is and why.

    ``explicit`` (a ``--corpus`` option) wins; then the full corpus; then the
    shipped sample, which is small, so figures on it are rough.
    """
    if explicit is not None:
        return explicit, f"feeds: {explicit} (given on the command line)"
    corpus = full_corpus()
    if corpus is not None:
        return corpus, f"feeds: the full corpus at {corpus}"
    return SAMPLE, (f"feeds: the {len(feed_files(SAMPLE))}-feed sample in tests/data/realfeeds, "
                    f"because {missing_corpus_reason()}; figures on it are rough")
