"""`captionls check` for CI: GitHub annotations, SARIF 2.1.0, --statistics, --quiet and --exit-zero."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from captionls.server.caption.rules.registry import RULES
from captionls.server.cli import main
from captionls.server.cli.output import github_annotation, junit_case, junit_report
from tests.kit.datasets import write_dataset

TRIGGER = 'trigger = ["ohwxStyle"]\n'
CLEAN = "ohwxStyle, 1girl, solo, full body, sitting, smile, short hair, brown hair, indoors, couch"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def run(vocabulary: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(
        main, [str(arg) for arg in args] + ["--db", str(vocabulary)], catch_exceptions=False
    )


def findings_dataset(tmp_path: Path) -> Path:
    captions = {"a": CLEAN + ",, couch", "b": CLEAN, "c": "少女, 🐱, smlie"}
    return write_dataset(tmp_path / "data", captions, TRIGGER)


def test_github_annotations(tmp_path: Path, vocabulary: Path) -> None:
    root = findings_dataset(tmp_path)
    result = run(vocabulary, "check", root, "--format", "github")
    assert result.exit_code == 1
    a, c = f"{root}/a.txt", f"{root}/c.txt"
    assert result.stdout.splitlines() == [
        f"::warning title=captionls (empty-tag),file={a},line=1,col=90,endLine=1,endColumn=91"
        f"::{a}:1:90: empty-tag empty tag: nothing between these separators",
        f"::warning title=captionls (duplicate-tag),file={a},line=1,col=93,endLine=1,endColumn=98"
        f'::{a}:1:93: duplicate-tag "couch" repeats "couch" earlier in this caption',
        f"::warning title=captionls (missing-trigger),file={c},line=1,col=1,endLine=1,endColumn=3"
        f'::{c}:1:1: missing-trigger the trigger "ohwxStyle" is missing; it goes first',
        # info and hint are notices: GitHub has no lower level.
        f"::notice title=captionls (tag-count),file={c},line=1,col=1,endLine=1,endColumn=13"
        f"::{c}:1:1: tag-count 3 tags in this caption, fewer than 8 (aim for 8 to 20)",
        f"::notice title=captionls (unknown-tag),file={c},line=1,col=8,endLine=1,endColumn=13"
        f'::{c}:1:8: unknown-tag "smlie" is not a known tag; did you mean "smile"?',
    ]


def test_github_escapes_what_would_break_the_command() -> None:
    row = {
        "path": "odd,name:1%.txt",
        "line": 1,
        "column": 2,
        "end_line": 1,
        "end_column": 3,
        "rule": "unknown-tag",
        "severity": "error",
        "message": "50% off\r\nnext",
    }
    assert github_annotation(row) == (
        "::error title=captionls (unknown-tag),file=odd%2Cname%3A1%25.txt,line=1,col=2,endLine=1,endColumn=3"
        "::odd,name:1%25.txt:1:2: unknown-tag 50%25 off%0D%0Anext"
    )


def test_sarif_is_valid_and_lists_every_rule(tmp_path: Path, vocabulary: Path) -> None:
    root = findings_dataset(tmp_path)
    result = run(vocabulary, "check", root, "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    unknown = rules[list(RULES).index("unknown-tag")]
    assert unknown["shortDescription"]["text"] == RULES["unknown-tag"].summary
    assert unknown["help"]["markdown"] == RULES["unknown-tag"].doc
    assert [(r["ruleId"], r["level"]) for r in run_["results"]] == [
        ("empty-tag", "warning"),
        ("duplicate-tag", "warning"),
        ("missing-trigger", "warning"),
        ("tag-count", "note"),
        ("unknown-tag", "note"),
    ]
    last = run_["results"][-1]
    assert rules[last["ruleIndex"]]["id"] == "unknown-tag"
    assert last["message"]["text"] == '"smlie" is not a known tag; did you mean "smile"?'
    assert last["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": (root / "c.txt").as_uri()},
        "region": {"startLine": 1, "startColumn": 8, "endLine": 1, "endColumn": 13},
    }


def test_sarif_with_no_findings_and_a_relative_path(
    tmp_path: Path, vocabulary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dataset(tmp_path / "my data", {"b": CLEAN, "c": "ohwxStyle, smlie"}, TRIGGER)
    monkeypatch.chdir(tmp_path)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    clean = run(vocabulary, "check", "my data/b.txt", "--format", "sarif")
    assert clean.exit_code == 0
    jsonschema.validate(json.loads(clean.stdout), schema)
    assert json.loads(clean.stdout)["runs"][0]["results"] == []
    found = json.loads(run(vocabulary, "check", "my data/c.txt", "--format", "sarif").stdout)
    jsonschema.validate(found, schema)
    location = found["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "my%20data/c.txt"}


def test_junit_a_suite_per_caption_and_a_case_per_finding(tmp_path: Path, vocabulary: Path) -> None:
    root = findings_dataset(tmp_path)
    result = run(vocabulary, "check", root, "--format", "junit")
    assert result.exit_code == 1
    suites = ElementTree.fromstring(result.stdout)
    assert (suites.tag, suites.get("tests"), suites.get("failures")) == ("testsuites", "5", "5")
    assert [(suite.get("name"), suite.get("failures")) for suite in suites] == [
        (f"{root}/a.txt", "2"),
        (f"{root}/c.txt", "3"),
    ]
    last = suites[1][2]
    assert last.attrib == {
        "name": "captionls.unknown-tag",
        "classname": f"{root}/c.txt",
        "line": "1",
        "column": "8",
    }
    failure = last.find("failure")
    assert failure is not None
    assert failure.attrib == {"message": '"smlie" is not a known tag; did you mean "smile"?', "type": "hint"}
    assert failure.text == 'line 1, col 8, "smlie" is not a known tag; did you mean "smile"?'
    clean = write_dataset(tmp_path / "clean", {"b": CLEAN}, TRIGGER)
    passed = ElementTree.fromstring(run(vocabulary, "check", clean, "--format", "junit").stdout)
    assert (passed.get("tests"), passed.get("failures"), len(passed.findall("./testsuite/testcase"))) == (
        "1",
        "0",
        1,
    )


def test_junit_stays_well_formed_xml_with_control_characters() -> None:
    row = {
        "path": "a\x01.txt",
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": 2,
        "rule": "unknown-tag",
        "severity": "hint",
        "message": "odd \x1b[31m <tag> & more",
    }
    case = ElementTree.fromstring(junit_report([junit_case(row)]))[0][0]
    assert case.get("classname") == "a\\x01.txt"
    assert case[0].get("message") == "odd \\x1b[31m <tag> & more"


def test_statistics_counts_per_rule(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": CLEAN + ",, couch,, smile", "b": "smlie", "c": CLEAN}, TRIGGER)
    result = run(vocabulary, "check", root, "--statistics", "--select", "empty-tag,duplicate-tag,unknown-tag")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"2\tduplicate-tag\t[*] {RULES['duplicate-tag'].summary}",
        f"2\tempty-tag    \t[*] {RULES['empty-tag'].summary}",
        f"1\tunknown-tag  \t    {RULES['unknown-tag'].summary}",
    ]
    as_json = run(vocabulary, "check", root, "--statistics", "--format", "json", "--select", "empty-tag")
    assert json.loads(as_json.stdout) == [{"rule": "empty-tag", "count": 2, "fixable": True}]


def test_quiet_leaves_out_the_summary(tmp_path: Path, vocabulary: Path) -> None:
    root = findings_dataset(tmp_path)
    loud = run(vocabulary, "check", root).stdout.splitlines()
    quiet = run(vocabulary, "check", root, "--quiet")
    assert quiet.exit_code == 1
    assert quiet.stdout.splitlines() == loud[:-1]
    assert loud[-1].startswith("5 findings")
    clean = write_dataset(tmp_path / "clean", {"b": CLEAN}, TRIGGER)
    assert run(vocabulary, "check", clean, "-q").stdout == ""


def test_exit_zero_keeps_the_output_and_usage_errors(tmp_path: Path, vocabulary: Path) -> None:
    root = findings_dataset(tmp_path)
    plain = run(vocabulary, "check", root)
    zero = run(vocabulary, "check", root, "--exit-zero")
    assert (plain.exit_code, zero.exit_code) == (1, 0)
    assert zero.stdout == plain.stdout
    assert run(vocabulary, "check", root, "--exit-zero", "--select", "no-such-rule").exit_code == 2
