"""Prose is left alone, phrases are never unknown, and the inferred trigger: on real-style captions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from captionls.server.caption.checker import check_text
from captionls.server.caption.config import load_config
from captionls.server.caption.fixes import fix_text
from captionls.server.caption.formatter import format_caption
from captionls.server.caption.parse import parse_caption
from captionls.server.cli import main
from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.importers import Source, import_files
from tests.kit.datasets import context, suggestions, write_dataset
from tests.kit.vocabularies import make_vocabulary

KINDS = Path(__file__).resolve().parent / "data" / "kinds"
# The rules about how a tag is written, which have nothing to say about a phrase.
TAG_ONLY_RULES = {"unknown-tag", "non-canonical-tag", "inconsistent-tag"}
PROSE_FILES = ("blip.txt", "vlm.txt", "hybrid.txt")


pytestmark = pytest.mark.builtin_vocabulary


def captions(name: str) -> list[str]:
    return [line for line in (KINDS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def dataset(root: Path, lines: list[str], config: str | None = None) -> Path:
    # Real files: LF endings, some without a final newline, one with CRLF.
    files: dict[str, str | bytes] = {}
    for number, line in enumerate(lines):
        ending = ["\n", "", "\r\n"][number % 3]
        files[f"{number:02d}"] = line + ending
    return write_dataset(root, files, config)


def run(vocabulary: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(main, [*map(str, args), "--db", str(vocabulary)], catch_exceptions=False)


def snapshot(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.iterdir()) if path.is_file()}


@pytest.mark.parametrize("name", PROSE_FILES)
def test_prose_gets_no_tag_rules_and_nothing_rewrites_it(tmp_path: Path, vocabulary: Path, name: str) -> None:
    root = dataset(tmp_path / "set", captions(name))
    before = snapshot(root)
    # The token limit is the one rule besides the trigger that reads prose (see the next test).
    result = run(vocabulary, "check", root, "--ignore", "token-limit")
    assert result.stdout.splitlines()[-1].startswith("No findings;"), result.stdout
    run(vocabulary, "check", root, "--fix", "--fix-order")
    run(vocabulary, "format", root)
    assert snapshot(root) == before


def test_a_missing_trigger_in_prose_is_reported_but_never_inserted(tmp_path: Path, vocabulary: Path) -> None:
    root = dataset(tmp_path / "set", captions("vlm.txt"), 'trigger = ["ohwx"]\n')
    before = snapshot(root)
    result = run(vocabulary, "check", root, "--fix")
    rules = [line.split()[2] for line in result.stdout.splitlines()[:-1]]
    # Each VLM paragraph is also longer than the 75 CLIP tokens sd-scripts keeps.
    assert rules == ["missing-trigger", "token-limit"] * len(captions("vlm.txt"))
    assert snapshot(root) == before


def test_the_trigger_in_prose_is_recognised_before_a_period_or_a_comma(
    tmp_path: Path, vocabulary: Path
) -> None:
    root = dataset(tmp_path / "set", captions("hybrid.txt"), 'trigger = ["ohwx"]\n')
    result = run(vocabulary, "check", root)
    missing = sorted(line.split(":")[0].rsplit("/", 1)[1] for line in result.stdout.splitlines()[:-1])
    # bk_bini_teen's and sks's captions lack it; `ohwx.`, `ohwx,` and `ohwx woman,` have it.
    assert missing == ["03.txt", "05.txt"]


def test_a_prose_line_beside_a_tag_line_keeps_its_words(tmp_path: Path, vocabulary: Path) -> None:
    text = "ohwx, 1girl, smile, smile,, solo\nA woman smiles, smile, smile. She is happy, happy.\n"
    root = write_dataset(tmp_path / "set", {"a": text, "b": "1girl, smile", "c": "solo"})
    ctx = context(root, vocabulary)
    findings = check_text(root / "a.txt", text, ctx)
    assert {finding.rule for finding in findings} >= {"duplicate-tag", "empty-tag"}
    assert all(finding.start < text.index("\n") for finding in findings)
    fixed = fix_text(root / "a.txt", text, ctx)
    assert fixed == "ohwx, 1girl, smile, solo\nA woman smiles, smile, smile. She is happy, happy.\n"


def test_phrases_are_never_unknown_non_canonical_or_inconsistent(tmp_path: Path, vocabulary: Path) -> None:
    lines = captions("guide.txt")
    root = dataset(tmp_path / "set", lines, 'trigger = ["ohwxStyle"]\n')
    ctx = context(root, vocabulary)
    for number in range(len(lines)):
        path = next(root.glob(f"{number:02d}.txt"))
        text = path.read_text(encoding="utf-8")
        caption = parse_caption(text)
        for finding in check_text(path, text, ctx):
            if finding.rule not in TAG_ONLY_RULES:
                continue
            tag = caption.tag_at(finding.start)
            assert tag is not None and tag.kind == "tag", (finding.rule, finding.message)
        # The guide's own medium words are vocabulary now.
        messages = [f.message for f in check_text(path, text, ctx) if f.rule == "unknown-tag"]
        assert not [m for m in messages if m.startswith(('"anime"', '"drawing"', '"photograph"', '"render"'))]


def test_the_trigger_is_inferred_and_kept_as_written(tmp_path: Path, vocabulary: Path) -> None:
    body = "long hair, smile, sitting, indoors, score_9, looking at viewer"
    lines = [f"bk_bini_teen, 1girl, {body}, couch"] * 9 + [f"1girl, {body}, chair"]
    lines[3] = "bk_bini_teen, 1girl, long_hair, smile"
    root = dataset(tmp_path / "set", lines)
    result = run(vocabulary, "check", root)
    assert "trigger inferred: bk_bini_teen" in result.stdout.splitlines()[-1]
    assert 'missing-trigger the inferred trigger "bk_bini_teen" is missing' in result.stdout
    assert sum(" missing-trigger " in line for line in result.stdout.splitlines()[:-1]) == 1
    run(vocabulary, "format", root)
    formatted = [path.read_text(encoding="utf-8") for path in sorted(root.glob("*.txt"))]
    assert sum(text.startswith("bk_bini_teen, ") for text in formatted) == 9
    assert "long hair" in formatted[3] and all("score_9" in text for text in formatted if "score" in text)


def test_a_hybrid_prose_dataset_infers_its_trigger(tmp_path: Path, vocabulary: Path) -> None:
    lines = [f"ohwx. {sentence}" for sentence in captions("vlm.txt")]
    ctx = context(dataset(tmp_path / "set", lines), vocabulary)
    assert ctx.inferred == "ohwx"


def test_no_trigger_is_inferred_from_a_known_tag_or_a_minority(tmp_path: Path, vocabulary: Path) -> None:
    assert context(dataset(tmp_path / "wd14", captions("wd14.txt")), vocabulary).inferred is None
    lines = ["ohwx, 1girl, smile"] * 8 + ["1girl, smile"] * 2
    assert context(dataset(tmp_path / "few", lines), vocabulary).inferred is None
    configured = dataset(tmp_path / "configured", ["ohwx, 1girl"] * 5, 'trigger = ["mine"]\n')
    ctx = context(configured, vocabulary)
    assert ctx.inferred is None and ctx.trigger_names == ("mine",)


def test_a_list_naming_the_trigger_leaves_it_inferred(tmp_path: Path, vocabulary: Path) -> None:
    """A BDTM list.tag holds the trigger too: importing it makes the trigger a vocabulary name, no tag."""
    own = shutil.copyfile(vocabulary, tmp_path / "vocabulary.sqlite")
    listed = tmp_path / "list.tag"
    listed.write_text("ohwx\nbk_bini_teen\nanime\n1girl\n", encoding="utf-8")
    with open_vocabulary(own) as store:
        import_files(store, [Source.file(listed)], list_name="personal")
    assert context(dataset(tmp_path / "set", ["ohwx, 1girl, smile"] * 5), own).inferred == "ohwx"
    # `format` writes it as the captions do, in a dataset written with spaces.
    spaces = dataset(tmp_path / "spaces", ["bk_bini_teen, 1girl, long_hair"] * 5, 'tag_style = "spaces"\n')
    run(own, "format", spaces)
    assert {path.read_text(encoding="utf-8").rstrip() for path in spaces.glob("*.txt")} == {
        "bk_bini_teen, 1girl, long hair"
    }
    # A built-in word with no posts (`anime`, listed too) is still a known tag: no trigger.
    assert context(dataset(tmp_path / "anime", ["anime, 1girl, smile"] * 5), own).inferred is None


def test_rename_never_rewrites_prose(tmp_path: Path) -> None:
    hybrid = captions("hybrid.txt")[2]
    root = write_dataset(tmp_path / "set", {"a": f"ohwx, 1girl, bokeh\n{hybrid}\n", "b": "ohwx, bokeh"})
    result = CliRunner().invoke(main, ["rename", "bokeh", "blurry background", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "a.txt").read_text(encoding="utf-8") == f"ohwx, 1girl, blurry background\n{hybrid}\n"


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        ("[smile], BREAK white dress", "[smile], BREAK white dress"),
        ("[smile] ,  BREAK  white dress", "[smile], BREAK white dress"),
        ("a,BREAK  b", "a,BREAK b"),
        ("a, BREAK, b", "a, BREAK, b"),
        ("a BREAK b", "a BREAK b"),
        ("a , BREAK ,b,,c", "a, BREAK, b, c"),
        ("a, ||| b", "a ||| b"),
    ],
)
def test_format_keeps_the_separators_beside_break(text: str, formatted: str) -> None:
    config = load_config(Path("."))
    assert format_caption(text, config, "spaces") == formatted
    assert [tag.key for tag in parse_caption(formatted).tags] == [tag.key for tag in parse_caption(text).tags]
    assert len(parse_caption(formatted).lines[0].breaks) == len(parse_caption(text).lines[0].breaks)


def test_format_leaves_prose_lines_and_protected_triggers_alone() -> None:
    config = load_config(Path("."))
    text = "bk_bini_teen,long_hair ,score_9\nA  woman_x sits.  She smiles ,happy.\n"
    assert format_caption(text, config, "spaces", {"bk bini teen"}) == (
        "bk_bini_teen, long hair, score_9\nA  woman_x sits.  She smiles ,happy.\n"
    )


def test_completion_writes_the_trigger_as_the_captions_do(tmp_path: Path) -> None:
    vocabulary_path = make_vocabulary(tmp_path / "vocabulary.sqlite")
    caption = "bk_bini_teen, long hair, looking at viewer, white dress"
    ctx = context(write_dataset(tmp_path / "set", {f"c{i}": caption for i in range(3)}), vocabulary_path)
    assert ctx.index.tag_style() == "spaces"

    def first(query: str) -> str:
        return suggestions(ctx, query)[0].insert

    assert first("bk") == "bk_bini_teen"
    assert first("long_h") == "long hair"


def test_a_verbatim_tag_is_never_pushed_towards_another_writing(tmp_path: Path) -> None:
    vocabulary_path = make_vocabulary(tmp_path / "vocabulary.sqlite")
    captions = {f"c{i}": "1girl, score 9, smile" for i in range(3)}
    captions["v"] = "1girl, score_9, smile"
    captions["w"] = "1girl, looking_at_viewer, smile"
    captions |= {f"l{i}": "1girl, looking at viewer" for i in range(3)}
    ctx = context(write_dataset(tmp_path / "set", captions), vocabulary_path)
    rules = {
        name: [finding.rule for finding in check_text(ctx.index.root / f"{name}.txt", text, ctx)]
        for name, text in (("v", captions["v"]), ("w", captions["w"]))
    }
    assert "inconsistent-tag" not in rules["v"]
    assert "inconsistent-tag" in rules["w"]


def test_sorting_keeps_the_inferred_trigger_first(tmp_path: Path, vocabulary: Path) -> None:
    captions = {f"c{i}": "ohwx, 1girl, sitting, indoors" for i in range(3)}
    captions["d"] = "ohwx, indoors, sitting, 1girl"
    root = write_dataset(tmp_path / "set", captions)
    run(vocabulary, "check", root, "--fix", "--fix-order")
    assert (root / "d.txt").read_text(encoding="utf-8") == "ohwx, 1girl, sitting, indoors"


def test_prose_adds_no_tags_to_the_dataset(tmp_path: Path, vocabulary: Path) -> None:
    vlm = context(dataset(tmp_path / "vlm", captions("vlm.txt")), vocabulary)
    assert vlm.index.keys() == [] and len(vlm.index) == len(captions("vlm.txt"))
    mixed = {"a": "ohwx, 1girl, smile\nA woman smiles, happy. She waves.\n", "b": "ohwx, solo", "c": "ohwx"}
    index = context(write_dataset(tmp_path / "mixed", mixed), vocabulary).index
    assert sorted(index.keys()) == ["1girl", "ohwx", "smile", "solo"]
    # The same from a parsed caption (what the language server hands the index).
    index.update(tmp_path / "mixed" / "a.txt", parse_caption(mixed["a"]))
    assert sorted(index.keys()) == ["1girl", "ohwx", "smile", "solo"]
