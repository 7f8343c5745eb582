"""Importing from a Danbooru instance over its JSON API: tag groups, tags, aliases, implications, wiki.

Two sources answer the same requests: `HttpSource` (httpx, polite: a request rate, retries with
exponential backoff on 429/5xx/timeouts/dropped connections honouring Retry-After, an optional
folder keeping every raw response) and `FolderSource` (answers from such a folder, no network).

API facts this relies on (Danbooru's source): every path ends in `.json`; `limit` is at most 1000;
page numbers stop at 1000, so lists are crawled with `page=b<lowest id seen>`; wiki titles are
lowercase with `_` for spaces; a missing page is a 404 whose body is JSON.

What a run writes is never half done: tags, aliases and implications are fetched first (spooled to a
temporary file) and written in one transaction; each tag-group page is then committed whole, one
transaction per page, so a run that fails has committed only whole groups, and running it again
ends exactly as an uninterrupted run would. Credentials are sent as HTTP Basic auth from the
environment only: never in a URL, a saved file, the database or a message.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote, urlencode

import httpx

from ..query import Vocabulary
from ..store import Store, StoreError
from ..urls import without_userinfo
from ..version import VERSION
from ..write import Writer
from . import dtext
from .bounded_http import Answer, BoundedClient, TooLarge, UnsupportedEncoding
from .tag_groups import store_page

DEFAULT_BASE_URL = "https://danbooru.donmai.us"
PAGE_LIMIT = 1000
INDEX_TITLE = "tag_groups"
SOURCE = "danbooru"
CATEGORIES = {"general": 0, "artist": 1, "copyright": 3, "character": 4, "meta": 5}
CATEGORY_NAMES = {number: name for name, number in CATEGORIES.items()}
LOGIN_ENV = "DANBOORU_LOGIN"
API_KEY_ENV = "DANBOORU_API_KEY"
# The largest decoded response taken: a page of 1,000 tags is about 100 KB, 50 wiki pages a few MB.
MAX_RESPONSE_BYTES = 32 * 2**20
# Wiki pages asked for in one request (their titles go in the query string).
WIKI_BATCH = 50
_MAX_FILE_NAME = 180

Params = dict[str, str]
Progress = Callable[[str, int, int | None], None]


class DanbooruError(Exception):
    """A request or import that cannot go on; the message is one line naming the URL."""


class NotFound(DanbooruError):
    """The page does not exist (HTTP 404)."""


def user_agent() -> str:
    # Cloudflare in front of Danbooru blocks default client agents; a named one with a hint is welcome.
    return f"captionls/{VERSION} (tag vocabulary importer; +https://pypi.org/project/captionls/)"


def credentials(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(login, API key) from DANBOORU_LOGIN / DANBOORU_API_KEY, None when neither is set."""
    env = os.environ if environ is None else environ
    login, key = env.get(LOGIN_ENV, "").strip(), env.get(API_KEY_ENV, "").strip()
    if bool(login) != bool(key):
        missing = API_KEY_ENV if login else LOGIN_ENV
        raise DanbooruError(f"{missing} is not set: set both {LOGIN_ENV} and {API_KEY_ENV}, or neither")
    return (login, key) if login else None


def request_url(base_url: str, path: str, params: Params) -> str:
    """The full URL of a request (never holding credentials: they travel in a header)."""
    query = urlencode(sorted(params.items()))
    return f"{base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def response_file(path: str, params: Params, status: int = 200) -> str:
    """The file name a response is saved under: readable, unique, short enough for any file system."""
    query = urlencode(sorted(params.items()))
    name = quote(path.strip("/") + (f"?{query}" if query else ""), safe="")
    if len(name) > _MAX_FILE_NAME:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
        name = f"{name[: _MAX_FILE_NAME - 17]}-{digest}"
    return f"{name}.{status}.json" if status != 200 else f"{name}.json"


class Source(Protocol):
    """Answers API requests: the decoded JSON of `path` (always ending in `.json`) with `params`."""

    origin: str  # the site or the folder, for the imports record

    def get(self, path: str, params: Params) -> Any: ...

    def url(self, path: str, params: Params) -> str: ...


@dataclass
class Politeness:
    """How hard a run may push the server."""

    rate: float = 2.0  # requests per second at most
    retries: int = 5  # after the first attempt
    backoff: float = 1.0  # seconds before the first retry, doubling each time
    max_wait: float = 120.0  # the longest single wait, Retry-After included
    timeout: float = 30.0


def _retry_after(response: Answer) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    # isascii: str.isdigit() also accepts `²` and other digits float() refuses.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpSource:
    """A Danbooru instance over HTTP."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        politeness: Politeness | None = None,
        auth: tuple[str, str] | None = None,
        save_dir: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        shown = without_userinfo(self.base_url)
        if shown != self.base_url:
            raise DanbooruError(
                f"--base-url {shown!r} must not hold a user or password: set {LOGIN_ENV} and {API_KEY_ENV}"
            )
        try:
            parsed = httpx.URL(self.base_url)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise DanbooruError(f"--base-url {shown!r} is not an http(s) URL such as {DEFAULT_BASE_URL}")
        self.origin = self.base_url
        self.politeness = politeness or Politeness()
        if self.politeness.rate <= 0:
            raise DanbooruError("--rate must be more than 0 requests a second")
        self.save_dir = save_dir
        self._next_request = 0.0
        self.client = BoundedClient(
            deadline_s=self.politeness.timeout,
            max_body=MAX_RESPONSE_BYTES,
            base_url=self.base_url,
            headers={"User-Agent": user_agent(), "Accept": "application/json"},
            auth=httpx.BasicAuth(*auth) if auth else None,
            timeout=self.politeness.timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.client.close()

    def url(self, path: str, params: Params) -> str:
        return request_url(self.base_url, path, params)

    def _wait_turn(self) -> None:
        now = time.monotonic()
        if self._next_request > now:
            time.sleep(self._next_request - now)
            now = self._next_request
        self._next_request = now + 1.0 / self.politeness.rate

    def get(self, path: str, params: Params) -> Any:
        url = self.url(path, params)
        answer = self._fetch(path, params, url)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            target = self.save_dir / response_file(path, params, answer.status)
            _write_atomic(target, answer.body)
        if answer.status == 404:
            raise NotFound(f"{url}: not found (HTTP 404)")
        return _decode(answer.body, url, answer.headers.get("Content-Type", ""))

    def _fetch(self, path: str, params: Params, url: str) -> Answer:
        """The answer to a GET, after retries; 200 or 404, anything else raises."""
        politeness = self.politeness
        attempts = politeness.retries + 1
        for attempt in range(attempts):
            self._wait_turn()
            retry_after = 0.0
            try:
                response = self.client.get(path, sorted(params.items()))
            except TooLarge:
                limit = f"{MAX_RESPONSE_BYTES // 2**20} MiB"
                raise DanbooruError(
                    f"{url}: the response is over {limit} decoded; not a Danbooru answer"
                ) from None
            except UnsupportedEncoding as error:
                raise DanbooruError(f"{url}: cannot decode the response ({error})") from None
            except httpx.TimeoutException:
                reason = f"timed out after {politeness.timeout:g} s"
            except httpx.ConnectError:
                reason = "cannot connect"
            except (httpx.NetworkError, httpx.RemoteProtocolError):
                reason = "the connection dropped"
            except httpx.TooManyRedirects:
                raise DanbooruError(f"{url}: too many redirects") from None
            except (httpx.HTTPError, httpx.InvalidURL) as error:
                raise DanbooruError(f"{url}: cannot request it ({type(error).__name__})") from None
            else:
                status = response.status
                if status in (200, 404):
                    return response
                if status != 429 and status < 500:
                    raise DanbooruError(f"{url}: {_refusal(status)}")
                reason = "too many requests (HTTP 429)" if status == 429 else f"server error (HTTP {status})"
                retry_after = _retry_after(response) or 0.0
            if attempt + 1 < attempts:
                time.sleep(min(max(politeness.backoff * 2**attempt, retry_after), politeness.max_wait))
        raise DanbooruError(f"{url}: {reason}; gave up after {attempts} attempt{'s' if attempts > 1 else ''}")


def _refusal(status: int) -> str:
    if status in (401, 403):
        return f"refused (HTTP {status}): check {LOGIN_ENV} / {API_KEY_ENV}, or the site blocks this client"
    if status == 410:
        return "gone (HTTP 410): page number past the site's limit"
    return f"unexpected HTTP {status}"


def _decode(content: bytes, url: str, content_type: str) -> Any:
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        kind = content_type.split(";")[0].strip() or "no content type"
        raise DanbooruError(f"{url}: the response is not JSON ({kind}, {len(content)} bytes)") from None
    except RecursionError:
        raise DanbooruError(f"{url}: the response is JSON nested too deeply to be Danbooru's") from None


def _write_atomic(target: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-", delete=False) as stream:
        stream.write(content)
    os.replace(stream.name, target)


class FolderSource:
    """Answers from the responses an earlier run saved with `--save DIR`, without any network."""

    def __init__(self, folder: Path, base_url: str = DEFAULT_BASE_URL) -> None:
        if not folder.is_dir():
            raise DanbooruError(f"{folder}: no such folder of saved responses")
        self.folder = folder
        self.origin = str(folder)
        # Only named in messages: any credentials in it are dropped, never printed.
        self.base_url = without_userinfo(base_url.rstrip("/"))

    def url(self, path: str, params: Params) -> str:
        return request_url(self.base_url, path, params)

    def get(self, path: str, params: Params) -> Any:
        found = self.folder / response_file(path, params)
        if found.is_file():
            return _decode(found.read_bytes(), str(found), "")
        if (self.folder / response_file(path, params, 404)).is_file():
            raise NotFound(f"{self.url(path, params)}: not found (HTTP 404, saved)")
        raise DanbooruError(
            f"{self.folder}: no saved response for {path}?{urlencode(sorted(params.items()))}"
            " (save one with --save against the site)"
        )


# Reading the API ------------------------------------------------------------------------------


def wiki_path(title: str) -> str:
    return f"/wiki_pages/{quote(dtext.wiki_title(title), safe=':()!~*,')}.json"


def _records(data: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise DanbooruError(f"{url}: expected a JSON list of objects")
    return data


def crawl(
    source: Source, path: str, params: Params, progress: Progress | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a list endpoint, newest records first, paging with `b<lowest id seen>` cursors."""
    cursor: int | None = None
    pages = 0
    while True:
        query = {**params, "limit": str(PAGE_LIMIT)}
        if cursor is not None:
            query["page"] = f"b{cursor}"
        url = source.url(path, query)
        rows = _records(source.get(path, query), url)
        if not rows:
            return
        ids = [row.get("id") for row in rows]
        if not all(isinstance(i, int) for i in ids):
            raise DanbooruError(f"{url}: a record without a numeric id")
        lowest = min(i for i in ids if isinstance(i, int))
        if cursor is not None and lowest >= cursor:
            raise DanbooruError(f"{url}: the page did not move past id {cursor}")
        yield rows
        cursor = lowest
        pages += 1
        if progress is not None:
            progress(path, pages, None)


def fetch_wiki_body(source: Source, title: str) -> str | None:
    """The DText body of a wiki page, None when it does not exist or is deleted."""
    path = wiki_path(title)
    try:
        data = source.get(path, {})
    except NotFound:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        raise DanbooruError(f"{source.url(path, {})}: expected a wiki page object with a body")
    return None if data.get("is_deleted") is True else str(data["body"])


# The run -------------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What `vocab import-danbooru` was asked to do."""

    groups: list[str] = field(default_factory=list)
    all_groups: bool = False
    tags: bool = False
    min_posts: int = 0
    categories: list[str] = field(default_factory=list)
    aliases: bool = False
    implications: bool = False
    wiki: bool = False


@dataclass
class ImportReport:
    """What a run did, for the summary line and the tests."""

    tags: int = 0
    aliases: int = 0
    implications: int = 0
    groups: list[str] = field(default_factory=list)
    members: int = 0
    created: int = 0
    left_out: int = 0
    wiki: int = 0
    missing_groups: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What is in the database for good, should a later step fail: "tags", "tag_aliases", ...
    committed_lists: list[str] = field(default_factory=list)


Warn = Callable[[str], None]


class DanbooruImport:
    """One run of `import-danbooru` against a source, writing into a store."""

    def __init__(
        self,
        store: Store,
        source: Source,
        plan: ImportPlan,
        *,
        warn: Warn = lambda message: None,
        progress: Progress | None = None,
    ) -> None:
        for category in plan.categories:
            if category not in CATEGORIES:
                raise DanbooruError(f"unknown category {category!r} (one of {', '.join(CATEGORIES)})")
        self.store = store
        self.source = source
        self.plan = plan
        self.report = ImportReport()
        self._warn = warn
        self._progress = progress

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)
        self._warn(message)

    def run(self) -> ImportReport:
        plan = self.plan
        if plan.tags or plan.aliases or plan.implications:
            self._import_lists()
        if plan.groups or plan.all_groups:
            self._import_groups()
        return self.report

    # Tags, aliases, implications: fetched whole, then written in one transaction.

    def _import_lists(self) -> None:
        # One spool line per page: [kind, [row fields, ...]].
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            kinds = self._spool(spool)
            spool.seek(0)
            with self.store.transaction():
                writer = Writer(self.store)
                for line in spool:
                    kind, rows = json.loads(line)
                    for fields in rows:
                        self._write_list_row(writer, kind, fields)
                writer.finish()
                writer.record_import(self.source.origin, f"danbooru:{'+'.join(kinds)}")
            self.report.committed_lists = kinds

    def _spool(self, spool: IO[str]) -> list[str]:
        plan = self.plan
        kinds = []
        if plan.tags:
            kinds.append("tags")
            params: Params = {"only": "id,name,category,post_count,is_deprecated"}
            if plan.min_posts > 0:
                params["search[post_count]"] = f">={plan.min_posts}"
            else:
                params["search[hide_empty]"] = "true"
            if plan.categories:
                params["search[category]"] = ",".join(str(CATEGORIES[c]) for c in plan.categories)
            for page in crawl(self.source, "/tags.json", params, self._progress):
                tags = [
                    [
                        row["name"],
                        CATEGORY_NAMES[row["category"]],
                        row["post_count"] if isinstance(row.get("post_count"), int) else 0,
                        row.get("is_deprecated") is True,
                    ]
                    for row in page
                    if isinstance(row.get("name"), str)
                    and isinstance(row.get("category"), int)
                    and row["category"] in CATEGORY_NAMES
                ]
                spool.write(json.dumps(["tag", tags]) + "\n")
        for kind, path, wanted in (
            ("alias", "/tag_aliases.json", plan.aliases),
            ("implication", "/tag_implications.json", plan.implications),
        ):
            if not wanted:
                continue
            kinds.append(path.strip("/").removesuffix(".json"))
            params = {"search[status]": "active", "only": "id,antecedent_name,consequent_name,status"}
            for page in crawl(self.source, path, params, self._progress):
                pairs = [
                    [row["antecedent_name"], row["consequent_name"]]
                    for row in page
                    if isinstance(row.get("antecedent_name"), str)
                    and isinstance(row.get("consequent_name"), str)
                    and row.get("status") == "active"
                ]
                spool.write(json.dumps([kind, pairs]) + "\n")
        return kinds

    def _write_list_row(self, writer: Writer, kind: str, fields: list[Any]) -> None:
        report = self.report
        try:
            if kind == "tag":
                name, category, count, deprecated = fields
                writer.tag(name, category=category, post_count=count, deprecated=deprecated, source=SOURCE)
                report.tags += 1
            elif kind == "alias":
                report.aliases += writer.alias(fields[0], fields[1])
            else:
                report.implications += writer.implication(fields[0], fields[1])
        except StoreError:
            # An alias or implication whose tags this vocabulary does not hold (below --min-posts,
            # another category): Danbooru's data is fine, it just does not apply here.
            writer.counts.skipped += 1

    # Tag groups: each page committed whole.

    def _import_groups(self) -> None:
        plan = self.plan
        queue = [dtext.group_title(name) for name in plan.groups]
        named = set(queue)
        linked_from: dict[str, str] = {}
        if plan.all_groups:
            index = fetch_wiki_body(self.source, INDEX_TITLE)
            if index is None:
                raise DanbooruError(
                    f"{self.source.url(wiki_path(INDEX_TITLE), {})}: the tag groups index is missing"
                )
            for title in dtext.parse_group_page(index, INDEX_TITLE).group_links:
                if title not in named:
                    queue.append(title)
                    linked_from.setdefault(title, INDEX_TITLE)
        seen = set(queue)
        position = 0
        member_ids: set[int] = set()
        while position < len(queue):
            title = queue[position]
            position += 1
            if self._progress is not None:
                self._progress("tag groups", position, len(queue))
            body = fetch_wiki_body(self.source, title)
            if body is None:
                if title in named:
                    self.report.missing_groups.append(title)
                else:
                    self.warn(
                        f"{title} (linked from {linked_from.get(title, INDEX_TITLE)}) does not exist; skipped"
                    )
                continue
            page = dtext.parse_group_page(body, dtext.group_name(title))
            member_ids |= self._store_group(page.tree, position - 1)
            if plan.all_groups:
                for link in page.group_links:
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)
                        linked_from[link] = title
        if plan.wiki:
            self._import_wiki(member_ids)

    def _store_group(self, tree: dtext.Node, position: int) -> set[int]:
        """Store one page in its own transaction; returns the ids of its member tags."""
        with self.store.transaction():
            writer = Writer(self.store)
            stored = store_page(writer, tree, position, source=SOURCE, create_missing=not self.plan.tags)
            writer.finish()
            writer.record_import(f"{self.source.origin} {tree.name}", "danbooru:tag-group")
        self.report.groups.append(tree.name)
        self.report.members += stored.members
        self.report.created += stored.created
        self.report.left_out += stored.unknown
        return Vocabulary(self.store).group_tag_ids([stored.group_id])

    # Wiki excerpts of group members.

    def _import_wiki(self, tag_ids: set[int]) -> None:
        tags = Vocabulary(self.store).tags_by_id(tag_ids)
        names = {dtext.wiki_title(tag.name): tag.id for tag in tags.values()}
        # A comma would split the batch's list, so such titles are asked for one by one.
        titles = sorted(title for title in names if "," not in title)
        bodies: dict[str, str] = {}
        for start in range(0, len(titles), WIKI_BATCH):
            bodies.update(self._wiki_batch(titles[start : start + WIKI_BATCH]))
            if self._progress is not None:
                self._progress("wiki pages", min(start + WIKI_BATCH, len(titles)), len(titles))
        for title in sorted(title for title in names if "," in title):
            body = fetch_wiki_body(self.source, title)
            if body is not None:
                bodies[title] = body
        excerpts = {
            names[title]: dtext.first_paragraph(body) for title, body in bodies.items() if title in names
        }
        with self.store.transaction():
            writer = Writer(self.store)
            for tag_id, excerpt in sorted(excerpts.items()):
                writer.wiki(tag_id, excerpt or None)
        self.report.wiki = sum(1 for excerpt in excerpts.values() if excerpt)

    def _wiki_batch(self, titles: list[str]) -> dict[str, str]:
        params = {
            "search[title_comma]": ",".join(titles),
            "search[is_deleted]": "false",
            "only": "title,body",
            "limit": str(PAGE_LIMIT),
        }
        url = self.source.url("/wiki_pages.json", params)
        return {
            str(row["title"]): str(row["body"])
            for row in _records(self.source.get("/wiki_pages.json", params), url)
            if isinstance(row.get("title"), str) and isinstance(row.get("body"), str)
        }
