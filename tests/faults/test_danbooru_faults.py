"""Attacks on `import-danbooru` (issue 15) from misbehaving servers on 127.0.0.1 that the tests start:
dripped headers and bodies, a gzip bomb, a huge body, deeply nested JSON, odd Retry-After values,
hostile tag data, and credentials typed into --base-url."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.cli import main
from captionls.vocab.importers.danbooru import (
    MAX_RESPONSE_BYTES,
    DanbooruError,
    DanbooruImport,
    HttpSource,
    ImportPlan,
    Politeness,
    response_file,
    wiki_path,
)
from captionls.vocab.store import Store
from captionls.vocab.write import Writer
from tests.kit.danbooru import Fault, LoopbackDanbooru

ONE_SHOT = Politeness(rate=1000.0, retries=0, backoff=0.01, timeout=1.0)
GROUP_PATH = "/wiki_pages/tag_group:posture.json"

Script = Callable[[socket.socket], None]


@contextmanager
def raw_server(script: Script) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that runs `script` on every connection after reading its request."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            with contextlib.suppress(OSError):  # the client gave up: what the test wants
                script(conn)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def drip(conn: socket.socket, data: bytes, every: float = 0.05, for_at_most: float = 8.0) -> None:
    end = time.monotonic() + for_at_most
    for byte in data:
        if time.monotonic() > end:
            return
        conn.sendall(bytes([byte]))
        time.sleep(every)


def import_group(store: Store, base_url: str, politeness: Politeness = ONE_SHOT) -> None:
    source = HttpSource(base_url, politeness=politeness)
    try:
        DanbooruImport(store, source, ImportPlan(groups=["posture"])).run()
    finally:
        source.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "vocabulary.sqlite") as opened:
        yield opened


# 9. Deadlines and size caps ---------------------------------------------------------------------


def drip_headers(conn: socket.socket) -> None:
    drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000 + b"\r\n\r\n")


def drip_body(conn: socket.socket) -> None:
    body = b'{"body": "' + b"x" * 1000 + b'"}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode())
    drip(conn, body)


@pytest.mark.parametrize("script", [drip_headers, drip_body])
def test_a_dripped_answer_hits_the_deadline(store: Store, script: Script) -> None:
    """A byte every 50 ms never trips a per-read timeout; the 1 s deadline per response does."""
    with raw_server(script) as url:
        start = time.monotonic()
        with pytest.raises(DanbooruError, match=r"timed out after 1 s; gave up after 1 attempt$"):
            import_group(store, url)
        assert time.monotonic() - start < 2.5


def test_the_deadline_holds_through_a_proxy_from_the_environment(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with raw_server(drip_headers) as proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        start = time.monotonic()
        with pytest.raises(DanbooruError, match=r"timed out after 1 s"):
            import_group(store, "http://danbooru.invalid")
        assert time.monotonic() - start < 2.5


def gzip_bomb(decoded_bytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(2**20)
    parts = [packer.compress(zeros) for _ in range(decoded_bytes // len(zeros))]
    return b"".join([*parts, packer.flush()])


def respond(body: bytes, *headers: str) -> Script:
    def script(conn: socket.socket) -> None:
        head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}", *headers]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return script


def peak_growth_mb(base_url: str, tmp_path: Path) -> tuple[str, int]:
    """Import the group in a child process: (its error line, how much its peak memory grew in MB)."""
    script = textwrap.dedent(
        f"""
        import resource
        from captionls.vocab.importers.danbooru import (
            DanbooruError, DanbooruImport, HttpSource, ImportPlan, Politeness
        )
        from captionls.vocab.store import Store
        store = Store.open({str(tmp_path / "child.sqlite")!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        source = HttpSource({base_url!r}, politeness=Politeness(retries=0, timeout=20))
        try:
            DanbooruImport(store, source, ImportPlan(groups=["posture"])).run()
            message = "no error"
        except DanbooruError as error:
            message = str(error)
        print(message)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    message, grown = result.stdout.splitlines()
    return message, int(grown)


def test_a_gzip_bomb_is_refused_within_the_cap(tmp_path: Path) -> None:
    bomb = gzip_bomb(1024 * 2**20)  # 1 GiB of zeros in about 1 MB
    with raw_server(respond(bomb, "Content-Encoding: gzip")) as url:
        message, grown_mb = peak_growth_mb(url, tmp_path)
    assert message.endswith(
        f"the response is over {MAX_RESPONSE_BYTES // 2**20} MiB decoded; not a Danbooru answer"
    )
    assert grown_mb < 2 * MAX_RESPONSE_BYTES // 2**20


def test_a_huge_plain_body_is_refused_within_the_cap(tmp_path: Path) -> None:
    with raw_server(respond(b" " * (300 * 2**20))) as url:
        message, grown_mb = peak_growth_mb(url, tmp_path)
    assert "the response is over 32 MiB decoded" in message
    assert grown_mb < 2 * MAX_RESPONSE_BYTES // 2**20


def test_gzip_answers_within_the_cap_still_work(store: Store) -> None:
    body = zlib.compress(b'{"title": "tag_group:posture", "body": "h4. Basic\\n* [[sitting]]"}')
    deflated = respond(body, "Content-Encoding: deflate")
    with raw_server(deflated) as url:
        import_group(store, url)
    assert store.conn.execute("SELECT name FROM tags").fetchall() == [("sitting",)]


# 18. Clean errors --------------------------------------------------------------------------------


def test_deeply_nested_json_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    with Store.open(db) as opened, opened.transaction():
        Writer(opened).tag("smile")
    with raw_server(respond(b"[" * 100_000)) as url:
        result = CliRunner().invoke(
            main,
            [
                "vocab",
                "--db",
                str(db),
                "import-danbooru",
                "--groups",
                "posture",
                "--base-url",
                url,
                "--retries",
                "0",
            ],
        )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.endswith(
        "the response is JSON nested too deeply to be Danbooru's; nothing was written\n"
    )
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["²", "1e999", "-5", "Tue, 99 Foo 2000"])
def test_odd_retry_after_values_fall_back_to_the_backoff(store: Store, value: str) -> None:
    with LoopbackDanbooru().serve() as danbooru:
        danbooru.add_wiki("tag_group:posture", "* [[sitting]]")
        danbooru.fault(GROUP_PATH, Fault(status=429, headers={"Retry-After": value}))
        import_group(store, danbooru.url, Politeness(rate=1000.0, retries=1, backoff=0.01, timeout=2.0))
        assert danbooru.paths().count(GROUP_PATH) == 2
    assert store.conn.execute("SELECT name FROM tags").fetchall() == [("sitting",)]


def test_hostile_tags_are_skipped_not_stored_and_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    with Store.open(db) as opened, opened.transaction():
        Writer(opened).tag("smile")
    with LoopbackDanbooru().serve() as danbooru:
        danbooru.add_tag("fine_tag", post_count=5)
        danbooru.add_tag("nl\ntag", post_count=5)
        danbooru.add_tag("huge_count", post_count=10**30)
        danbooru.add_tag("past_2_63", post_count=2**63)
        danbooru.add_tag("list_category")
        danbooru.tags[-1]["category"] = [0]
        result = CliRunner().invoke(
            main, ["vocab", "--db", str(db), "import-danbooru", "--tags", "--base-url", danbooru.url]
        )
    assert result.exit_code == 0, result.output
    with Store.open(db) as opened:
        names = [row[0] for row in opened.conn.execute("SELECT name FROM tags ORDER BY name")]
    assert names == ["fine_tag", "smile"]


def test_a_page_of_thousands_of_nested_bullets_is_stored_shallow(store: Store) -> None:
    with LoopbackDanbooru().serve() as danbooru:
        danbooru.add_wiki("tag_group:posture", "\n".join(f"{'*' * i} [[tag_{i}]]" for i in range(1, 3000)))
        import_group(store, danbooru.url)
    (tags,) = store.conn.execute("SELECT count(*) FROM tags").fetchone()
    (groups,) = store.conn.execute("SELECT count(*) FROM groups").fetchone()
    assert tags == 2999
    assert groups <= 17


def test_a_group_member_that_cannot_be_a_name_is_left_out_not_the_group(store: Store) -> None:
    with LoopbackDanbooru().serve() as danbooru:
        danbooru.add_wiki("tag_group:posture", f"* [[sitting]]\n* [[esc\x1b[31mred]]\n* [[{'w' * 600}]]")
        import_group(store, danbooru.url)
    assert store.conn.execute("SELECT name FROM tags").fetchall() == [("sitting",)]


# 3. Credentials in --base-url ------------------------------------------------------------------------


def test_credentials_in_the_base_url_are_refused_and_never_shown_or_stored(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    with Store.open(db) as opened, opened.transaction():
        Writer(opened).tag("smile")
    with LoopbackDanbooru().serve() as danbooru:
        danbooru.add_wiki("tag_group:posture", "* [[sitting]]")
        secret_url = danbooru.url.replace("http://", "http://me:SECRET@")
        runner = CliRunner()
        result = runner.invoke(
            main,
            ["vocab", "--db", str(db), "import-danbooru", "--groups", "posture", "--base-url", secret_url],
        )
        stats = runner.invoke(main, ["vocab", "--db", str(db), "stats"])
        assert danbooru.requests == []
    assert result.exit_code == 1
    assert "must not hold a user or password: set DANBOORU_LOGIN and DANBOORU_API_KEY" in result.stderr
    for text in (result.output, stats.output):
        assert "SECRET" not in text
    assert b"SECRET" not in db.read_bytes()


def test_a_saved_folder_never_prints_credentials_of_the_base_url(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    with Store.open(db) as opened, opened.transaction():
        Writer(opened).tag("smile")
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / response_file(wiki_path("tag_groups"), {}, 404)).write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "vocab", "--db", str(db), "import-danbooru", "--all-groups",
            "--from", str(saved), "--base-url", "https://me:SECRET@booru.example",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert (
        "https://booru.example/wiki_pages/tag_groups.json: the tag groups index is missing" in result.stderr
    )
    assert "SECRET" not in result.output
