"""URL canonicalisation and the http(s) check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from bot._urls import canonicalize_url, is_http_url


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a#section", "https://example.com/a"),
        ("https://example.com/Path/Case/", "https://example.com/Path/Case/"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        (
            "https://example.com/a?id=3&utm_campaign=x&b=2&fbclid=abc&gclid=1#top",
            "https://example.com/a?id=3&b=2",
        ),
        (
            "https://example.com/?dclid=1&msclkid=2&mc_cid=3&mc_eid=4&mc_tc=5&igshid=6&yclid=7"
            "&_hsenc=8&_hsmi=9&ref_src=twsrc&xtor=RSS-1&keep=yes",
            "https://example.com/?keep=yes",
        ),
        ("https://example.com/a?UTM_Source=x&Q=1", "https://example.com/a?Q=1"),
        ("https://example.com/a?z=1&a=2&m=3", "https://example.com/a?z=1&a=2&m=3"),
        ("https://example.com/a?a=1&&b=2&", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?flag", "https://example.com/a?flag"),
        ("https://example.com/a?q=caf%c3%a9&x=%2f", "https://example.com/a?q=caf%C3%A9&x=%2F"),
        ("https://example.com/%7euser/a%20b", "https://example.com/%7Euser/a%20b"),
        ("https://example.com/café?q=thé", "https://example.com/caf%C3%A9?q=th%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://München.example/straße", "https://xn--mnchen-3ya.example/stra%C3%9Fe"),
        ("https://xn--mnchen-3ya.example/", "https://xn--mnchen-3ya.example/"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("https://user:Pass@Example.com/", "https://user:Pass@example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com/a?q=a+b&r=a%20b", "https://example.com/a?q=a+b&r=a%20b"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("not a url", "not a url"),
        ("http://example.com:99999/", "http://example.com:99999/"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical
    assert canonicalize_url(canonical) == canonical


@given(urls())
@settings(max_examples=400, deadline=None)
def test_canonicalize_is_idempotent_on_urls(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert "utm_" not in once.lower().split("?", 1)[-1] or "?" not in once


@given(
    st.sampled_from(["http", "HTTPS", "https"]),
    st.sampled_from(["example.com", "EXAMPLE.org", "bücher.example", "a.b.c.example"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.lists(
        st.tuples(
            st.sampled_from(["utm_source", "fbclid", "id", "q", "page", "mc_eid", "x y", "é"]),
            st.text(max_size=10),
        ),
        max_size=5,
    ),
    st.text(max_size=10),
)
@settings(max_examples=400, deadline=None)
def test_canonicalize_is_idempotent_on_odd_input(
    scheme: str, host: str, path: str, params: list[tuple[str, str]], fragment: str
) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}/{path}?{query}#{fragment}"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_canonical_forms_of_the_same_article_are_equal() -> None:
    variants = [
        "https://Example.com/news/1?utm_source=rss&utm_medium=feed",
        "https://example.com:443/news/1#comments",
        "HTTPS://EXAMPLE.COM/news/1?fbclid=IwAR0",
        "https://example.com/news/1",
    ]
    assert {canonicalize_url(v) for v in variants} == {"https://example.com/news/1"}


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://example.com/", True),
        ("http://example.com", True),
        ("HTTP://EXAMPLE.COM/x", True),
        ("https://example.com/a b", True),
        ("  https://example.com/  ", True),
        ("ftp://example.com/", False),
        ("javascript:alert(1)", False),
        ("/relative/path", False),
        ("//example.com/x", False),
        ("https://", False),
        ("https:///path", False),
        ("https://exa mple.com/", False),
        ("http://example.com:99999/", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok
