"""Offline language detection by stopword frequency, and language tag cleanup.

Detection counts the most frequent function words of each supported language
(fr, en, de, es, it, nl, pt) among the first words of a text, after the usual
normalisation (so "été" and "ete" count alike). A word shared by several
languages ("de", "la", "a") counts for each of them, split evenly. The text
is only classified when enough such words occur and one language clearly
leads; otherwise the answer is None ("unknown"), which the matcher treats as
"any language".
"""

from __future__ import annotations

import re

from ._normalize import normalize

__all__ = ["SUPPORTED_LANGUAGES", "detect_language", "feed_language", "normalize_language_tag"]

# Folded forms (see bot._normalize): no accents, elisions split ("l'", "qu'").
_STOPWORDS: dict[str, str] = {
    "en": """the of and to a in is that for it with as was on be by this are from at or
        an have has had not but which they were their will would been its said he she we
        you who after about more than when what there can into also could should how why
        says over new his her them our your i""",
    "fr": """le la les des du de et est un une pour dans que qui sur au aux par pas plus
        ce cette ces sont avec il elle ils elles ont a ete mais ou leur se son sa ses nous
        vous comme apres selon sans entre aussi tres deja l d qu n y lui etait fait cet
        depuis alors dont meme""",
    "de": """der die das und ist nicht mit den dem des ein eine einer eines einen zu von
        auf fur im sich auch es sie wir ich wird werden wurde hat haben bei nach aus noch
        oder wie uber aber nur dass vor zum zur mehr sind kann um war ihre sein""",
    "es": """el la los las de del y en que es un una por con para se su sus al lo como mas
        pero fue ha han esta este son entre sobre tambien ya muy desde cuando porque hay
        sin ser segun le les""",
    "it": """il lo la gli le di del della dei delle degli e che non per un una uno con
        sono da nel nella al alla si come anche piu ma ha hanno questo questa essere dopo
        tra fra ancora gia l d i perche stato stata sul sulla""",
    "nl": """de het een en van in is dat op te voor met niet zijn er aan ook als bij door
        om maar naar nog wordt worden werd heeft hebben dan over uit kan die deze tot wel
        geen meer zich wat hij ze we""",
    "pt": """o a os as de do da dos das e em no na nos nas um uma que para com por pelo
        pela nao se ao mais como mas foi sao ser tem esta isso este tambem ja entre sobre
        ate seu sua quando apos""",
}

#: Languages :func:`detect_language` can return.
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(_STOPWORDS)


def _weights() -> dict[str, tuple[tuple[str, float], ...]]:
    owners: dict[str, list[str]] = {}
    for lang, words in _STOPWORDS.items():
        for word in set(words.split()):
            owners.setdefault(word, []).append(lang)
    return {w: tuple((lang, 1.0 / len(langs)) for lang in langs) for w, langs in owners.items()}


_WEIGHTS = _weights()

# Only the beginning of a long text is read: it is enough, and keeps it fast.
_MAX_CHARS = 4000
# Below this weighted count the text is too short to tell.
_MIN_SCORE = 1.5
# The leader must beat the runner-up by this factor.
_MIN_RATIO = 1.5


def detect_language(text: str) -> str | None:
    """The language of ``text`` ("fr", "en", "de", "es", "it", "nl", "pt"), or
    None when the text is too short or too ambiguous to tell. Never raises."""
    scores: dict[str, float] = {}
    for word in normalize(text[:_MAX_CHARS]).split():
        for lang, weight in _WEIGHTS.get(word, ()):
            scores[lang] = scores.get(lang, 0.0) + weight
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if top < _MIN_SCORE or top < _MIN_RATIO * second:
        return None
    return best


# ISO 639-2 codes people (and some feeds) write for the supported languages.
_ALPHA3 = {
    "fra": "fr", "fre": "fr", "eng": "en", "deu": "de", "ger": "de", "spa": "es",
    "ita": "it", "nld": "nl", "dut": "nl", "por": "pt",
}
# Names of languages that feeds write instead of a tag ("English", "Français").
_NAMES = {
    "english": "en", "french": "fr", "français": "fr", "francais": "fr", "german": "de",
    "deutsch": "de", "spanish": "es", "español": "es", "italian": "it", "italiano": "it",
}  # fmt: skip
# Codes that say "no particular language": "und" (undetermined) is unknown, as
# no tag at all is; so are "mul", "zxx" (no linguistic content) and "mis".
_NOT_A_LANGUAGE = frozenset(["und", "mul", "zxx", "mis"])
_PRIMARY = re.compile(r"[a-z]{2,3}")


def normalize_language_tag(tag: str | None) -> str | None:
    """The lower-case primary language subtag of a BCP 47-ish tag.

    ``"fr-FR"``, ``"FR_fr"``, ``"fr"`` → ``"fr"``; ``"en-us"`` → ``"en"``;
    ``"fra"`` → ``"fr"``; None, ``""``, ``"und"`` or garbage → None. Never raises.
    """
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    if not _PRIMARY.fullmatch(primary) or primary in _NOT_A_LANGUAGE:
        return None
    return _ALPHA3.get(primary, primary)


def feed_language(value: str | None) -> str | None:
    """A language as feeds write it: a tag (see :func:`normalize_language_tag`,
    so ``"und"`` is None) or a language's name (``"English"``, ``"Français"``).

    Returns the primary subtag, or None when unknown. Never raises.
    """
    if not value:
        return None
    return _NAMES.get(value.strip().lower()) or normalize_language_tag(value)
