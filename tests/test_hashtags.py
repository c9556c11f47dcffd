"""The words inside hashtags and handles: split on case changes and digits, so
that topic keywords match ``#IAGénérative``, ``#GenerativeAI`` or ``@ElonMusk``
(today's matcher matched none of them), and ``explain`` says where."""

from __future__ import annotations

from bot._hashtags import split_tag, tag_phrases
from bot._matching import Matcher, Rule, highlight_spans
from bot.app import make_vigie
from bot.cli import format_explained
from bot.config import validate
from bot.types import Document


def test_hashtags_split_on_case_changes_and_digits() -> None:
    assert split_tag("IAGénérative") == ["IA", "Générative"]
    assert split_tag("GenerativeAI") == ["Generative", "AI"]
    assert split_tag("GPUs") == ["GPUs"]
    assert split_tag("CPUsAndGPUs") == ["CPUs", "And", "GPUs"]
    assert split_tag("RTX5090") == ["RTX", "5090"]
    assert split_tag("ElonMusk") == ["Elon", "Musk"]
    assert split_tag("elonmusk") == ["elonmusk"]
    text = "Voir #IAGénérative, @ElonMusk, page#Top, a@Example.com, C#Sharp, #2a3f5f, &#IAx;"
    assert [(p.tag, p.words) for p in tag_phrases(text)] == [
        ("#IAGénérative", "ia generative"), ("@ElonMusk", "elon musk")]


def test_topic_keywords_match_inside_hashtags_and_handles() -> None:
    rules = [Rule("iagen", keywords=("IA générative", "generative AI")),
             Rule("gpu", keywords=("GPU",)), Rule("musk", keywords=("Musk",)),
             Rule("rtx", keywords=("RTX 5090",)), Rule("other", keywords=("IA générale",))]
    matcher = Matcher.compile(rules)

    def matched(text: str) -> set[str]:
        return {v.rule_id for v in matcher.match(Document(text)).matched}

    assert matched("Annonce #IAGénérative") == {"iagen"}
    assert matched("Big news #GenerativeAI") == {"iagen"}
    assert matched("Prices of #GPUs") == {"gpu"}
    assert matched("Said @ElonMusk") == {"musk"}
    assert matched("#RTX5090 is out") == {"rtx"}
    assert matched("#IAGénérale") == {"other"}
    assert matched("mail elon@MuskCorp.com, color #2a3f5f") == set()
    # The whole tag is bold in alerts.
    text = "Annonce #IAGénérative"
    assert [text[a:b] for a, b in highlight_spans(text, ["IA générative"])] == ["#IAGénérative"]


def test_explain_says_in_hashtag() -> None:
    config = validate({"topics": {"iagen": {"keywords": ["IA générative"]},
                                  "musk": {"keywords": ["Musk"]}},
                       "subscriptions": [{"name": "s", "topics": ["iagen", "musk"]}]}, env={})
    vigie = make_vigie(config)
    text = format_explained(1, vigie.explain_text("Grosse annonce #IAGénérative\n"
                                                  "par @ElonMusk et Musk lui-même"), vigie.config)
    assert '"IA générative" in title (in hashtag #IAGénérative)' in text
    # Found in the text itself too: no need to say the handle.
    assert '"Musk" in summary' in text and "in handle" not in text
