"""The ``mastodon`` kind: a Mastodon instance's public tag or account timeline.

From Mastodon's API documentation (https://docs.joinmastodon.org):

- ``GET /api/v1/timelines/tag/:hashtag?limit=40`` (methods/timelines/#tag)
  and ``GET /api/v1/accounts/:id/statuses`` (methods/accounts/#statuses)
  answer a JSON array of Status entities (entities/Status: ``id``, ``uri``,
  ``url``, ``created_at``, ``content`` as HTML, ``spoiler_text``,
  ``language``, ``account`` with ``acct``, ``reblog``, ``media_attachments``);
- ``GET /api/v1/accounts/lookup?acct=…`` (methods/accounts/#lookup) turns
  a handle into an Account (``id``), once; 404 ``{"error": "Record not
  found"}`` when there is none;
- pages are linked by the ``Link`` header's ``rel="next"`` (api/guidelines/#pagination);
- ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
  (an ISO 8601 time) tell the window: 300 requests per 5 minutes (api/rate-limits);
- an instance may refuse its public timelines to visitors (401 or 422).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .._html import html_to_text
from ..types import Entry, FetchResult
from ._base import (
    ApiRequest,
    Key,
    KindSettings,
    Page,
    SourceKind,
    SourceSpec,
    Value,
    api_feed,
    api_url,
    expect,
    link_rel,
    object_of,
    parse_time,
    post_entry,
    read_json,
    text_of,
)

LIMIT = 40
_ACCOUNT = r"@?[A-Za-z0-9_]{1,30}(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?"


class Mastodon(SourceKind):
    name = "mastodon"
    label = "Mastodon"
    summary = "A Mastodon instance's public posts with a hashtag, or one account's posts"
    keys = (
        Key("instance", "The instance to ask (mastodon.social)", required=True,
            pattern=r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]{1,5})?",
            pattern_help="must be a host name such as mastodon.social"),
        Key("tag", "A hashtag (IA, or #IA)", pattern=r"#?\w{1,100}",
            pattern_help="must be one hashtag: letters, digits and _"),
        Key("account", "An account (@Gargron, or @Gargron@mastodon.social)", pattern=_ACCOUNT,
            pattern_help="must be an account such as @name or @name@instance"),
    )
    chat_what = "#tag or @account@instance"

    def check(self, spec: SourceSpec) -> list[tuple[str, str]]:
        if bool(spec.text("tag")) == bool(spec.text("account")):
            return [("", "a mastodon source needs tag or account (one of them)")]
        return []

    def from_chat(self, what: str) -> dict[str, Value]:
        if what.startswith("@"):
            user, _, instance = what[1:].partition("@")
            return {"account": user, "instance": instance} if instance else {"account": user}
        return {"tag": what}

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        parts = urlsplit(url)
        prefix = "/api/v1/timelines/tag/"
        if not parts.path.startswith(prefix) or not parts.netloc:
            return None
        return {"instance": parts.netloc, "tag": unquote(parts.path[len(prefix):])}

    def default_name(self, spec: SourceSpec) -> str:
        return super().default_name(SourceSpec(
            {k: v for k, v in spec.options.items() if k != "instance"}))

    def _base(self, spec: SourceSpec) -> str:
        return f"https://{spec.text('instance')}"

    def url(self, spec: SourceSpec) -> str:
        tag = (spec.text("tag") or "").removeprefix("#")
        if tag:
            url = api_url(self._base(spec), f"/api/v1/timelines/tag/{quote(tag, safe='')}",
                          {"limit": LIMIT})
        else:
            url = api_url(self._base(spec), "/api/v1/accounts/lookup",
                          {"acct": (spec.text("account") or "").removeprefix("@")})
        return self.rebase(url, spec)

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        return {"Accept": "application/json"}

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        doc = read_json(answer, self.label)
        if urlsplit(answer.url).path.endswith("/accounts/lookup"):
            account = expect(doc, dict, self.label, "the account", answer.url)
            account_id = expect(account.get("id"), str, self.label, "the account id", answer.url)
            statuses = api_url(self._base(spec), f"/api/v1/accounts/{quote(account_id)}/statuses",
                               {"limit": LIMIT, "exclude_replies": "true",
                                "exclude_reblogs": "true"})
            return Page(None, follow=ApiRequest(self.rebase(statuses, spec), self.headers(spec)))
        statuses = expect(doc, list, self.label, "the posts", answer.url)
        instance = spec.text("instance") or ""
        entries = [e for s in statuses if isinstance(s, dict) and (e := _status(s, instance))]
        following = link_rel(answer.headers.get("link"), "next")
        next_page = (ApiRequest(self.rebase(following, spec), self.headers(spec))
                     if following and statuses else None)
        what = spec.text("tag") or spec.text("account")
        return Page(api_feed(self.name, f"Mastodon {instance}: {what}", entries), next=next_page)

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        instance = spec.text("instance")
        if status == 404 and spec.text("account"):
            return f"{instance} has no account {spec.text('account')} (404)"
        if status in (401, 403, 422):
            return f"{instance} does not show its public timelines without an account ({status})"
        if status == 429:
            return f"{instance} is rate-limiting Vigie (429)"
        return None


def _status(status: dict[str, Any], instance: str) -> Entry | None:
    if status.get("reblog"):
        return None  # a boost: the original is someone else's post
    uri = text_of(status.get("uri")) or text_of(status.get("id"))
    if not uri:
        return None
    content = text_of(status.get("content"))
    account = object_of(status.get("account"))
    acct = text_of(account.get("acct"))
    author = (f"@{acct}" if "@" in acct else f"@{acct}@{instance}") if acct else None
    image = None
    for media in status.get("media_attachments") or ():
        if isinstance(media, dict) and media.get("type") == "image":
            image = text_of(media.get("preview_url")) or text_of(media.get("url")) or None
            break
    language = text_of(status.get("language")) or None
    return post_entry(id=uri, text=html_to_text(content), link=text_of(status.get("url")) or uri,
                      author=author, published=parse_time(status.get("created_at")),
                      language=language, image=image, summary_html=content)
