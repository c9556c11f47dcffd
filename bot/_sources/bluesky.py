"""The ``bluesky`` kind: Bluesky posts matching a search, or one account's posts.

From Bluesky's API documentation (https://docs.bsky.app/docs/api/):

- ``POST /xrpc/com.atproto.server.createSession`` with ``{"identifier",
  "password"}`` (an app password) answers ``{"accessJwt", "refreshJwt",
  "handle", "did"}``; a wrong password gets 401 ``{"error":
  "AuthenticationRequired", "message": "Invalid identifier or password"}``
  (com-atproto-server-create-session);
- ``GET /xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=…&cursor=…``
  answers ``{"posts": [PostView], "cursor"}`` (app-bsky-feed-search-posts);
  Bluesky refuses it without a session (403), so it goes through the
  account's server (``bsky.social``) with ``Authorization: Bearer <accessJwt>``;
- ``GET /xrpc/app.bsky.feed.getAuthorFeed?actor=…&filter=posts_no_replies``
  answers ``{"feed": [{"post": PostView, "reason"?}], "cursor"}``, public
  (app-bsky-feed-get-author-feed);
- a PostView has ``uri`` (``at://<did>/app.bsky.feed.post/<rkey>``),
  ``author.handle``, ``record.text``, ``record.createdAt``,
  ``record.langs`` and an optional ``embed``; errors are ``{"error",
  "message"}``, an expired session 400 ``ExpiredToken``;
- ``ratelimit-limit``, ``ratelimit-remaining``, ``ratelimit-reset`` (Unix
  time) tell the window (docs/advanced-guides/rate-limits).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..exceptions import FeedParseError
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
    object_of,
    parse_time,
    post_entry,
    read_json,
    text_of,
)

#: Posts read per request.
LIMIT = 50
#: Where an account logs in and searches (its server) and where public feeds are read.
ACCOUNT_SERVER = "https://bsky.social"
PUBLIC_API = "https://public.api.bsky.app"
_HANDLE = r"@?[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}|did:plc:[a-z0-9]{10,64}"


class Bluesky(SourceKind):
    name = "bluesky"
    label = "Bluesky"
    summary = "Bluesky posts matching a search (needs an app password), or an account's posts"
    keys = (
        Key("query", "What to search for in posts", max_length=300),
        Key("account", "An account's handle (@name.bsky.social)", pattern=_HANDLE,
            pattern_help="must be a handle such as @name.bsky.social"),
    )
    settings = (
        Key("handle", "The account Vigie searches as (name.bsky.social)", pattern=_HANDLE,
            pattern_help="must be a handle such as name.bsky.social"),
        Key("app_password", "An app password of that account (Settings → App passwords)",
            secret=True),
    )
    hosts = ("bsky.social", "public.api.bsky.app", "api.bsky.app", "bsky.app")
    chat_what = "a search, or @handle"
    conditional = False

    def check(self, spec: SourceSpec) -> list[tuple[str, str]]:
        if bool(spec.text("query")) == bool(spec.text("account")):
            return [("", "a bluesky source needs query or account (one of them)")]
        if spec.text("query") and not (spec.setting("handle") and spec.setting("app_password")):
            return [("query", "searching Bluesky needs [kinds.bluesky] handle and app_password "
                              "(Bluesky refuses searches without an account)")]
        return []

    def from_chat(self, what: str) -> dict[str, Value]:
        return {"account": what} if what.startswith("@") and " " not in what else {"query": what}

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        parts = urlsplit(url)
        if parts.path.startswith("/profile/"):
            handle = parts.path.split("/")[2]
            return {"account": handle} if handle else None
        if parts.path == "/xrpc/app.bsky.feed.searchPosts":
            query = parse_qs(parts.query).get("q", [""])[0]
            return {"query": query} if query else None
        return None

    def _url(self, spec: SourceSpec, cursor: str | None = None) -> str:
        if query := spec.text("query"):
            url = api_url(ACCOUNT_SERVER, "/xrpc/app.bsky.feed.searchPosts", {
                "q": query, "sort": "latest", "limit": LIMIT, "lang": spec.language,
                "cursor": cursor})
        else:
            url = api_url(PUBLIC_API, "/xrpc/app.bsky.feed.getAuthorFeed", {
                "actor": (spec.text("account") or "").removeprefix("@"), "limit": LIMIT,
                "filter": "posts_no_replies", "cursor": cursor})
        return self.rebase(url, spec)

    def url(self, spec: SourceSpec) -> str:
        return self._url(spec)

    def headers(self, spec: SourceSpec) -> dict[str, str]:
        return {"Accept": "application/json"}

    def login(self, spec: SourceSpec) -> ApiRequest | None:
        if not spec.text("query"):
            return None  # an account's posts are public
        url = self.rebase(ACCOUNT_SERVER + "/xrpc/com.atproto.server.createSession", spec)
        handle = (spec.setting("handle") or "").removeprefix("@")
        return ApiRequest(url, self.headers(spec), conditional=False, json_body={
            "identifier": handle, "password": spec.setting("app_password") or ""})

    def session_headers(self, answer: FetchResult) -> dict[str, str]:
        doc = read_json(answer, self.label)
        token = text_of(doc.get("accessJwt")) if isinstance(doc, dict) else ""
        if not token:
            raise FeedParseError("Bluesky's login answer has no access token", answer.url)
        return {"Authorization": f"Bearer {token}"}

    def session_expired(self, status: int, error: Any) -> bool:
        return status == 401 or (status == 400 and error.get("error") in (
            "ExpiredToken", "InvalidToken"))

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        doc = expect(read_json(answer, self.label), dict, self.label, "a result", answer.url)
        if spec.text("query"):
            views = expect(doc.get("posts"), list, self.label, "the posts", answer.url)
        else:
            feed = expect(doc.get("feed"), list, self.label, "the feed", answer.url)
            # A repost ("reason") is someone else's post.
            views = [f.get("post") for f in feed if isinstance(f, dict) and not f.get("reason")]
        entries = [e for v in views if isinstance(v, dict) and (e := _post(v))]
        cursor = text_of(doc.get("cursor"))
        next_page = (ApiRequest(self._url(spec, cursor), self.headers(spec), conditional=False)
                     if cursor and views else None)
        what = spec.text("query") or spec.text("account")
        return Page(api_feed(self.name, f"Bluesky: {what}", entries), next=next_page)

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        code = text_of(error.get("error"))
        if login and status == 401:
            return "Bluesky refused the app password of [kinds.bluesky] handle"
        if login and status == 429:
            return "Bluesky is limiting logins (429); Vigie will log in again later"
        if status == 403 and spec.text("query"):
            return "Bluesky refused the search (403): it needs a logged-in account"
        if status == 400 and spec.text("account") and code in ("InvalidRequest", "NotFound",
                                                                "AccountNotFound"):
            return f"Bluesky has no account {spec.text('account')} (400)"
        if status == 400 and spec.text("account") and "actor" in text_of(error.get("message")):
            return f"Bluesky has no account {spec.text('account')} (400)"
        if status == 429:
            return "Bluesky is rate-limiting Vigie (429)"
        return None


def _post(view: dict[str, Any]) -> Entry | None:
    uri = text_of(view.get("uri"))
    author = object_of(view.get("author"))
    record = object_of(view.get("record"))
    handle = text_of(author.get("handle"))
    if not uri.startswith("at://") or not handle:
        return None
    rkey = uri.rsplit("/", 1)[-1]
    langs = record.get("langs")
    language = text_of(langs[0]) if isinstance(langs, list) and langs else None
    return post_entry(
        id=uri, text=text_of(record.get("text")),
        link=f"https://bsky.app/profile/{handle}/post/{rkey}", author=f"@{handle}",
        published=parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt")),
        language=language, image=_image(view.get("embed")))


def _image(embed: object) -> str | None:
    if not isinstance(embed, dict):
        return None
    images = embed.get("images")
    if isinstance(images, list) and images and isinstance(images[0], dict):
        return text_of(images[0].get("thumb")) or None
    external = embed.get("external")
    if isinstance(external, dict):
        return text_of(external.get("thumb")) or None
    return None
