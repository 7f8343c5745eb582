"""`captionls check`, `stats`, `rename`, `format` and `rules` through the real click commands."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from captionls.server.caption.rules.registry import RULES
from captionls.server.cli import main
from captionls.server.cli.datasets import datasets
from tests.kit.datasets import write_dataset

TRIGGER = 'trigger = ["ohwxStyle"]\n'
CLEAN = "ohwxStyle, 1girl, solo, full body, sitting, smile, short hair, brown hair, indoors, couch"


def run(vocabulary: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(
        main, [str(arg) for arg in args] + ["--db", str(vocabulary)], catch_exceptions=False
    )


def test_text_format_and_summary(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN + ",, couch", "b": CLEAN, "c": "少女, 🐱, smlie"}, TRIGGER)
    result = run(vocabulary, "check", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{root}/a.txt:1:90: warning empty-tag empty tag: nothing between these separators",
        f'{root}/a.txt:1:93: warning duplicate-tag "couch" repeats "couch" earlier in this caption',
        f'{root}/c.txt:1:1: warning missing-trigger the trigger "ohwxStyle" is missing; it goes first',
        f"{root}/c.txt:1:1: info tag-count 3 tags in this caption, fewer than 8 (aim for 8 to 20)",
        # Columns count characters: the emoji is one.
        f'{root}/c.txt:1:8: hint unknown-tag "smlie" is not a known tag; did you mean "smile"?',
        "5 findings (duplicate-tag 1, empty-tag 1, missing-trigger 1, tag-count 1, unknown-tag 1);"
        " 3 captions checked.",
    ]


def test_json_format(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": "x\r\n" + CLEAN + ", smile"}, TRIGGER)
    result = run(vocabulary, "check", root, "--format", "json", "--select", "duplicate-tag")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "path": f"{root}/a.txt",
            "line": 2,
            "column": 92,
            "end_line": 2,
            "end_column": 97,
            "rule": "duplicate-tag",
            "severity": "warning",
            "message": '"smile" repeats "smile" earlier in this caption',
            "fixes": [
                {
                    "title": 'Remove the second "smile"',
                    "edits": [
                        {
                            "path": f"{root}/a.txt",
                            "line": 2,
                            "column": 90,
                            "end_line": 2,
                            "end_column": 97,
                            "new_text": "",
                        }
                    ],
                }
            ],
        }
    ]


def test_exit_codes(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "ok", {"a": CLEAN, "b": CLEAN + ", lamp"}, TRIGGER)
    result = run(vocabulary, "check", root)
    assert result.exit_code == 0  # a hint is not a failure
    assert result.stdout.splitlines()[-1].endswith("; 2 captions checked.")
    assert run(vocabulary, "check", root, "--select", "tag-count").stdout.strip() == (
        "No findings; 2 captions checked."
    )
    assert run(vocabulary, "check", root, "--select", "no-such-rule").exit_code == 2
    assert run(vocabulary, "check", tmp_path / "missing").exit_code == 2
    broken = write_dataset(tmp_path / "broken", {"a": CLEAN}, "trigger = [\n")
    result = run(vocabulary, "check", broken)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {broken / 'captionls.toml'}:1: Invalid value"


ARMS = "ohwxStyle, 1girl, solo, arms up, sitting, smile, short hair, indoors"


def arms_dataset(root: Path) -> Path:
    captions: dict[str, str | bytes] = {f"arms{i}": ARMS + "\n" for i in range(10)}
    captions["arms3"] = (ARMS + "\r\nohwxStyle, arms up\r\n").encode()  # CRLF
    captions["arms4"] = codecs.BOM_UTF8 + (ARMS + "\n").encode()  # BOM
    captions["raised"] = codecs.BOM_UTF8 + ARMS.replace("arms up", "raised arms").encode() + b"\r\n"
    return write_dataset(root, captions, TRIGGER)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in sorted(root.iterdir())
        if path.is_file() and not path.is_symlink()
    }


def test_ten_arms_up_and_one_raised_arms(tmp_path: Path, vocabulary: Path) -> None:
    root = arms_dataset(tmp_path)
    result = run(vocabulary, "check", root, "--select", "inconsistent-tag")
    assert result.stdout.splitlines()[0] == (
        f'{root}/raised.txt:1:25: warning inconsistent-tag the dataset writes this as "arms up"'
        ' in 10 captions ("raised arms": 1)'
    )
    before = snapshot(root)
    result = run(vocabulary, "check", root, "--fix")
    assert result.exit_code == 0, result.stdout
    assert "1 caption fixed" in result.stdout
    after = snapshot(root)
    assert after["raised.txt"] == codecs.BOM_UTF8 + ARMS.encode() + b"\r\n"
    assert {name: data for name, data in after.items() if name != "raised.txt"} == {
        name: data for name, data in before.items() if name != "raised.txt"
    }
    # Idempotent: a second run finds nothing to change.
    result = run(vocabulary, "check", root, "--fix")
    assert "fixed" not in result.stdout
    assert snapshot(root) == after


def test_fix_applies_only_safe_fixes_until_settled(tmp_path: Path, vocabulary: Path) -> None:
    messy = "1girl,, smile, solo, Smile, smiling, sitting, ohwxStyle, short hair, indoors, lamp, couch,"
    root = write_dataset(tmp_path, {"a": messy, "b": CLEAN}, TRIGGER)
    run(vocabulary, "check", root, "--fix")
    fixed = (root / "a.txt").read_text()
    assert fixed == "ohwxStyle, 1girl, smile, solo, sitting, short hair, indoors, lamp, couch"
    assert run(vocabulary, "check", root, "--fix").stdout == run(vocabulary, "check", root).stdout
    assert (root / "a.txt").read_text() == fixed
    run(vocabulary, "check", root, "--fix", "--fix-order")
    assert (
        root / "a.txt"
    ).read_text() == "ohwxStyle, 1girl, solo, smile, sitting, short hair, indoors, lamp, couch"


def test_diff_writes_nothing(tmp_path: Path, vocabulary: Path) -> None:
    root = arms_dataset(tmp_path)
    before = snapshot(root)
    result = run(vocabulary, "check", root, "--diff")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:3] == [
        f"--- a/{root}/raised.txt",
        f"+++ b/{root}/raised.txt",
        "@@ -1 +1 @@",
    ]
    # raised.txt starts with a UTF-8 BOM: the diff shows it, so that `patch` finds the line on disk.
    assert "+\ufeffohwxStyle, 1girl, solo, arms up, sitting" in result.stdout
    assert snapshot(root) == before


def test_bad_inputs_are_reported_and_never_rewritten(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(
        tmp_path,
        {
            "latin1": "ohwxStyle, caf\xe9".encode("latin-1"),
            "empty": b"",
            "huge": b"smile, " * 750_000,
            "binary": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "good": CLEAN,
        },
        TRIGGER,
    )
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "self.txt").symlink_to(root / "self.txt")
    (root / "self.png").write_bytes(b"")
    before = snapshot(root)
    result = run(vocabulary, "check", root, "--fix")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{root}/latin1.txt:1:1: error read-error not UTF-8 text (byte 0xe9 at offset 14)" in lines
    assert f"{root}/binary.txt:1:1: error read-error binary file (contains NUL bytes), not a caption" in lines
    assert f"{root}/huge.txt:1:1: error read-error larger than 256 KiB, not a caption" in lines
    assert f"{root}/self.txt:1:1: error read-error cannot read (Too many levels of symbolic links)" in lines
    # The empty caption got its trigger; what remains is reported.
    assert (
        f"{root}/empty.txt:1:1: info tag-count 1 tag in this caption, fewer than 8 (aim for 8 to 20)" in lines
    )
    assert not any("good.txt" in line for line in lines)
    after = snapshot(root)
    assert after.pop("empty.txt") == b"ohwxStyle"  # the one safe fix there is
    before.pop("empty.txt")
    assert after == before


def test_stats(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN, "b": "ohwxStyle, 1girl, smile, wooden floor"}, TRIGGER)
    data = json.loads(run(vocabulary, "stats", root, "--json", "--top", "3").stdout)
    assert data["captions"] == 2
    assert data["tags"][0] == {"tag": "1girl", "key": "1girl", "captions": 2}
    assert len(data["tags"]) == 3
    assert data["common"] == ["1girl", "ohwxStyle", "smile"]
    assert data["sections"][f"{root}/b.txt"] == ["globals", "type", "action", "background"]
    text = run(vocabulary, "stats", root).stdout
    assert text.splitlines()[0] == "2 captions, 11 distinct tags"
    assert "In every caption: 1girl, ohwxStyle, smile" in text
    one = write_dataset(tmp_path / "one", {"a": "ohwxStyle"}, TRIGGER)
    assert run(vocabulary, "stats", one).stdout.splitlines()[0] == "1 caption, 1 distinct tag"


def test_rename_merges(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(
        tmp_path,
        {"a": "ohwxStyle, raised arms, smile\r\n", "b": "ohwxStyle, raised_arms, arms up, smile", "c": "x"},
    )
    result = CliRunner().invoke(main, ["rename", "raised arms", "arms up", str(root), "--dry-run"])
    assert "+ohwxStyle, arms up, smile" in result.stdout
    assert (root / "a.txt").read_text() == "ohwxStyle, raised arms, smile\r\n".replace("\r\n", "\n")
    result = CliRunner().invoke(main, ["rename", "raised arms", "arms up", str(root)])
    assert result.exit_code == 0 and "changed 2 captions" in result.stdout
    assert (root / "a.txt").read_bytes() == b"ohwxStyle, arms up, smile\r\n"
    assert (root / "b.txt").read_bytes() == b"ohwxStyle, arms up, smile"


def test_format(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": "ohwxStyle ,long_hair,,(smile:1.2)  \r\n", "b": "short hair, solo"})
    result = CliRunner().invoke(main, ["format", str(root), "--check"])
    assert result.exit_code == 1 and result.stdout.strip() == f"would reformat {root}/a.txt"
    CliRunner().invoke(main, ["format", str(root)])
    assert (root / "a.txt").read_bytes() == b"ohwxStyle, long hair, (smile:1.2)\r\n"
    assert CliRunner().invoke(main, ["format", str(root), "--check"]).exit_code == 0
    (root / "captionls.toml").write_text('tag_style = "underscores"\n')
    CliRunner().invoke(main, ["format", str(root)])
    assert (root / "a.txt").read_bytes() == b"ohwxStyle, long_hair, (smile:1.2)\r\n"


def test_rules_lists_every_rule() -> None:
    result = CliRunner().invoke(main, ["rules"])
    lines = result.stdout.splitlines()
    assert len(lines) == len(RULES)
    assert lines[0].split()[:2] == ["missing-trigger", "warning"]
    assert any(line.split()[:2] == ["unknown-tag", "hint"] for line in lines)


def test_rules_json_has_every_rule_with_options_and_docs() -> None:
    result = CliRunner().invoke(main, ["rules", "--json"])
    records = json.loads(result.stdout)
    assert [record["name"] for record in records] == list(RULES)
    repeated = next(record for record in records if record["name"] == "repeated-word")
    assert repeated["severity"] == "info"
    assert repeated["options"] == {
        "min": {"type": "integer", "default": 3},
        "ignore": {"type": "list of strings", "default": []},
    }
    assert repeated["fix"] == "no (reword)" and repeated["safe_fix"] is False
    assert all(record["summary"] and record["doc"] == RULES[record["name"]].doc for record in records)


def test_rules_name_prints_the_rules_page() -> None:
    result = CliRunner().invoke(main, ["rules", "repeated-word"])
    assert result.stdout.startswith(
        "# repeated-word\n\nDefault severity: info. Fires when: one thing (head noun or place)"
    )
    assert "- `min` (integer, default `3`)\n- `ignore` (list of strings, default `[]`)\n" in result.stdout
    assert "\nBad: `" in result.stdout and "\nGood: `" in result.stdout
    unknown = CliRunner().invoke(main, ["rules", "no-such-rule"])
    assert unknown.exit_code == 2 and "unknown rule no-such-rule" in unknown.output


def test_console_script_with_the_environment_database(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN}, TRIGGER)
    env = {**os.environ, "CAPTIONLS_DB": str(vocabulary)}
    script = Path(sys.executable).with_name("captionls")
    result = subprocess.run([script, "check", root], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No findings; 1 caption checked.\n"


def test_the_last_collection_at_exit_walks_none_of_a_checks_objects(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN, "b": CLEAN + ",, couch"}, TRIGGER)
    # Registered first, so run last of the exit handlers: what the interpreter's last collection finds.
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'not frozen'))\n"
        "from captionls.server.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    command = [sys.executable, "-c", script, "check", str(root), "--db", str(vocabulary), "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == "frozen"


def test_a_subfolder_is_checked_against_its_whole_dataset(tmp_path: Path, vocabulary: Path) -> None:
    root = arms_dataset(tmp_path)
    (root / "sub").mkdir()
    for suffix in (".txt", ".png"):
        (root / f"raised{suffix}").rename(root / "sub" / f"raised{suffix}")
    result = run(vocabulary, "check", root / "sub", "--select", "inconsistent-tag")
    assert result.stdout.splitlines() == [
        f'{root}/sub/raised.txt:1:25: warning inconsistent-tag the dataset writes this as "arms up"'
        ' in 10 captions ("raised arms": 1)',
        "1 finding (inconsistent-tag 1); 1 caption checked.",
    ]


def test_folders_named_select_the_captions_inside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["top", "sub/a", "sub/deeper/b", "sub2/c", "other/d"]
    root = write_dataset(tmp_path / "set", {f"{name}.txt": CLEAN for name in names}, TRIGGER)
    monkeypatch.chdir(tmp_path)
    for given in (root, Path("set")):
        with click.Context(click.Command("check")):
            (dataset,) = datasets([given / "sub", given / "other"])
        assert dataset.targets == [given / f"{name}.txt" for name in ["other/d", "sub/a", "sub/deeper/b"]]


def test_a_broken_section_map_is_a_usage_error(
    tmp_path: Path, vocabulary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_dataset(tmp_path / "set", {"a": CLEAN}, TRIGGER)
    (tmp_path / "sections.toml").write_text("[groups\n")
    monkeypatch.setenv("CAPTIONLS_SECTIONS", str(tmp_path / "sections.toml"))
    result = run(vocabulary, "check", root)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'sections.toml'}: ")


def test_rename_and_format_touch_only_what_path_names(tmp_path: Path) -> None:
    root = write_dataset(
        tmp_path, {"a": "raised arms ,smile", "b": "raised arms ,smile", "bad": b"caf\xe9"}, TRIGGER
    )
    result = CliRunner().invoke(main, ["rename", "raised arms", "arms up", str(root / "a.txt")])
    assert result.exit_code == 0 and "changed 1 caption" in result.stdout
    assert (root / "a.txt").read_text() == "arms up ,smile"
    assert (root / "b.txt").read_text() == "raised arms ,smile"
    result = CliRunner().invoke(main, ["format", str(root)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{root / 'bad.txt'}:1: not UTF-8 text (byte 0xe9 at offset 3)"
    assert (root / "a.txt").read_text() == "arms up, smile"
    assert (root / "bad.txt").read_bytes() == b"caf\xe9"


def test_diff_is_the_only_output_in_json_too(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN + ",,"}, TRIGGER)
    result = run(vocabulary, "check", root, "--diff", "--format", "json")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"--- a/{root}/a.txt\n")
    assert "[" not in result.stdout.splitlines()[-1]


def test_a_caption_named_in_a_folder_the_index_passes_over_has_no_report(
    tmp_path: Path, vocabulary: Path
) -> None:
    # Hidden folders are not scanned: a caption named inside one is not a caption of the dataset.
    root = write_dataset(tmp_path, {"a.txt": CLEAN, ".hidden/b.txt": CLEAN}, TRIGGER)
    result = run(vocabulary, "check", root / ".hidden" / "b.txt")
    assert result.exit_code == 0
    assert result.stdout == "No findings; 0 captions checked.\n"
