"""A real HTTP server on 127.0.0.1 that answers like Danbooru's JSON API, for tests and benchmarks.

It serves what a test puts in it (wiki pages, tags, aliases, implications) with Danbooru's rules:
`.json` paths, `limit` at most 1000, `page=b<id>` cursors, numbered pages stopping at 1000 (410),
wiki titles normalised, 404 with a JSON body. A test can script faults for a path (status codes with
Retry-After, slow answers, dropped connections, malformed JSON, redirects); every request is logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_LIMIT = 1000


@dataclass
class Fault:
    """One scripted answer: a status (with headers and body), a delay, a dropped connection or a redirect."""

    status: int = 500
    body: bytes = b'{"success": false, "message": "scripted fault"}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    redirect: str | None = None


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class SyntheticTags:
    """`count` tags `tag_<id>` with ids 1..count, generated per page (a million rows never sit in memory)."""

    count: int

    def page(self, below: int, limit: int) -> list[dict[str, Any]]:
        top = min(below - 1, self.count)
        return [
            {
                "id": i,
                "name": f"tag_{i}",
                "category": (0, 1, 3, 4, 5)[i % 5],
                "post_count": i,
                "is_deprecated": False,
            }
            for i in range(top, max(top - limit, 0), -1)
        ]


class LoopbackDanbooru:
    """The data and the faults; `serve()` runs it on a free port."""

    def __init__(self) -> None:
        self.wiki: dict[str, str] = {}
        self.tags: list[dict[str, Any]] = []
        self.synthetic: SyntheticTags | None = None
        self.aliases: list[dict[str, Any]] = []
        self.implications: list[dict[str, Any]] = []
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.url = ""

    def add_wiki(self, title: str, body: str) -> None:
        self.wiki[title.strip().lower().replace(" ", "_")] = body

    def add_tag(self, name: str, category: int = 0, post_count: int = 1, *, deprecated: bool = False) -> None:
        self.tags.append(
            {
                "id": len(self.tags) + 1,
                "name": name,
                "category": category,
                "post_count": post_count,
                "is_deprecated": deprecated,
            }
        )

    def add_alias(self, antecedent: str, consequent: str, status: str = "active") -> None:
        row = {"antecedent_name": antecedent, "consequent_name": consequent, "status": status}
        self.aliases.append({"id": len(self.aliases) + 1, **row})

    def add_implication(self, antecedent: str, consequent: str, status: str = "active") -> None:
        row = {"antecedent_name": antecedent, "consequent_name": consequent, "status": status}
        self.implications.append({"id": len(self.implications) + 1, **row})

    def fault(self, path: str, *faults: Fault) -> None:
        """Answer the next requests for `path` with `faults`, in order, then normally again."""
        self.faults.setdefault(path, []).extend(faults)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    # Answers -------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if not path.endswith(".json"):
            return 406, {"success": False, "message": "this test server only speaks .json"}
        limit = int(query.get("limit", "20"))
        if limit > MAX_LIMIT:
            return 422, {"success": False, "message": f"limit {limit} is over {MAX_LIMIT}"}
        page = query.get("page", "1")
        if page.isdigit() and int(page) > 1000:
            return 410, {"success": False, "message": "page number too large"}
        if path.startswith("/wiki_pages/"):
            title = unquote(path.removeprefix("/wiki_pages/").removesuffix(".json")).lower().replace(" ", "_")
            if title not in self.wiki:
                return 404, {
                    "success": False,
                    "error": "ActiveRecord::RecordNotFound",
                    "message": "That record was not found.",
                }
            return 200, {
                "id": 1,
                "title": title,
                "body": self.wiki[title],
                "is_deleted": False,
                "other_names": [],
            }
        if path == "/wiki_pages.json":
            titles = query.get("search[title_comma]", "").split(",")
            return 200, [{"title": t, "body": self.wiki[t]} for t in titles if t in self.wiki]
        if path == "/tags.json":
            return 200, self._tags(query, limit, page)
        if path in ("/tag_aliases.json", "/tag_implications.json"):
            rows = self.aliases if path == "/tag_aliases.json" else self.implications
            status = query.get("search[status]")
            rows = [row for row in rows if status is None or row["status"] == status]
            return 200, _cursor_page(rows, page, limit)
        return 404, {"success": False, "message": f"no route {path}"}

    def _tags(self, query: dict[str, str], limit: int, page: str) -> list[dict[str, Any]]:
        if self.synthetic is not None:
            below = int(page[1:]) if page.startswith("b") else self.synthetic.count + 1
            return self.synthetic.page(below, limit)
        rows = self.tags
        if "search[post_count]" in query:
            minimum = int(query["search[post_count]"].removeprefix(">="))
            rows = [row for row in rows if row["post_count"] >= minimum]
        elif query.get("search[hide_empty]") == "true":
            rows = [row for row in rows if row["post_count"] > 0]
        if "search[category]" in query:
            wanted = {int(c) for c in query["search[category]"].split(",")}
            rows = [row for row in rows if row["category"] in wanted]
        return _cursor_page(rows, page, limit)

    @contextmanager
    def serve(self) -> Iterator[LoopbackDanbooru]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def _cursor_page(rows: list[dict[str, Any]], page: str, limit: int) -> list[dict[str, Any]]:
    """Newest first; `b<id>` gives the rows below an id, a number gives that page."""
    ordered = sorted(rows, key=lambda row: -row["id"])
    if page.startswith("b"):
        below = int(page[1:])
        return [row for row in ordered if row["id"] < below][:limit]
    start = (int(page) - 1) * limit
    return ordered[start : start + limit]


def _handler(danbooru: LoopbackDanbooru) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            with danbooru.lock:
                danbooru.requests.append(Request(parts.path, query, dict(self.headers.items())))
                scripted = danbooru.faults.get(parts.path)
                fault = scripted.pop(0) if scripted else None
            if fault is not None:
                self._fault(fault)
                return
            status, payload = danbooru.answer(parts.path, query)
            self._send(status, json.dumps(payload).encode("utf-8"))

        def _fault(self, fault: Fault) -> None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.close()
                return
            if fault.redirect is not None:
                self._send(302, b"", {"Location": fault.redirect})
                return
            self._send(fault.status, fault.body, fault.headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test): nothing to answer

    return Handler
