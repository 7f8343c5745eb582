"""How `captionls check` prints its findings: text lines, JSON, GitHub Actions annotations, SARIF 2.1.0
or JUnit XML.

Every format is written as the captions are checked where it can be (text, JSON, GitHub), so a large
dataset's findings are never all in memory at once; SARIF and JUnit are one document written at the end.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import orjson

from captionls.vocab.version import VERSION

from ..caption.findings import Finding
from ..caption.lines import line_starts, position
from ..caption.printable import printable
from ..caption.rules.registry import RULES

FORMATS = ("text", "json", "github", "sarif", "junit")
# The summary lists a pattern shared by at least this many captions, at most this many per rule.
PATTERN_CAPTIONS = 2
PATTERNS_PER_RULE = 3
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub has three annotation levels and SARIF three result levels; info and hint share the lowest.
GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


@dataclass
class Report:
    """The findings of one caption, with its text for positions."""

    path: Path
    text: str
    findings: list[Finding]

    def rows(self, with_fixes: bool = True) -> Iterator[dict[str, object]]:
        starts = line_starts(self.text)
        for finding in self.findings:
            line, column = position(starts, finding.start)
            end_line, end_column = position(starts, finding.end)
            fixes = []
            for fix in finding.fixes if with_fixes else ():
                edits = []
                for edit in fix.edits:
                    e_line, e_column = position(starts, edit.start)
                    e_end_line, e_end_column = position(starts, edit.end)
                    edits.append(
                        {
                            "path": str(edit.path or self.path),
                            "line": e_line,
                            "column": e_column,
                            "end_line": e_end_line,
                            "end_column": e_end_column,
                            "new_text": edit.new_text,
                        }
                    )
                fixes.append({"title": fix.title, "edits": edits})
            yield {
                "path": str(self.path),
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "rule": finding.rule,
                "severity": finding.severity,
                "message": finding.message,
                "fixes": fixes,
            }


@dataclass
class Batch:
    """What consecutive reports add to the output: each finding as the format writes it, and the counts
    for the summary. Made wherever the captions were checked (a worker process too), added in order."""

    captions: int = 0
    # Findings per rule, and (rule, pattern) -> captions sharing it.
    counts: Counter[str] = field(default_factory=Counter)
    patterns: Counter[tuple[str, str]] = field(default_factory=Counter)
    failing: bool = False
    # The text, JSON objects or GitHub commands to write as they come (one per finding).
    written: list[str] = field(default_factory=list)
    # SARIF results or JUnit rows, for the one document written at the end.
    kept: list[dict[str, object]] = field(default_factory=list)


def render(reports: Iterable[Report], form: str, listing: bool) -> Batch:
    """The batch of `reports` in format `form`; `listing` False counts the findings without writing them."""
    batch = Batch()
    json_rows = form == "json" and listing
    for report in reports:
        batch.captions += 1
        batch.patterns.update({(f.rule, f.pattern) for f in report.findings if f.pattern is not None})
        for row in report.rows(with_fixes=json_rows):
            batch.counts[str(row["rule"])] += 1
            batch.failing = batch.failing or row["severity"] in ("error", "warning")
            if not listing:
                continue
            if json_rows:
                batch.written.append(_terminal_safe_json(json_text(row)))
            elif form == "github":
                batch.written.append(github_annotation(row) + "\n")
            elif form == "sarif":
                batch.kept.append(sarif_result(row))
            elif form == "junit":
                batch.kept.append(row)
            else:
                batch.written.append(printable(text_line(row)) + "\n")
    return batch


def json_text(data: object) -> str:
    """`data` as JSON indented by two spaces, non-ASCII as it is: what `json.dumps(data,
    ensure_ascii=False, indent=2)` writes, by orjson (that Python encoder took a third of a JSON check).

    orjson refuses a lone surrogate (a file name that is not UTF-8 holds one): that goes by `json.dumps`.
    """
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(data, ensure_ascii=False, indent=2)


class Output:
    """Writes batches as they come in the chosen format and keeps the counts for the summary.

    `silent` writes nothing at all (`--diff` prints only the diff); `quiet` leaves out the text summary;
    `statistics` prints the counts per rule instead of the findings.
    """

    def __init__(self, form: str, silent: bool, quiet: bool = False, statistics: bool = False) -> None:
        self.form = form
        self.silent = silent
        self.quiet = quiet
        self.statistics = statistics
        self.stream = sys.stdout
        self.counts: Counter[str] = Counter()
        # (rule, pattern) -> captions sharing it, for the summary.
        self.patterns: Counter[tuple[str, str]] = Counter()
        # Lines about a whole dataset for the end of the text output.
        self.notes: list[str] = []
        self.captions = 0
        self.fixed = 0
        self.would_change = False
        self.failing = False
        # The triggers inferred per dataset (none configured), named in the summary.
        self.inferred: list[str] = []
        # Findings written so far, and the SARIF results or JUnit rows for the document at the end.
        self.rows_written = 0
        self.kept: list[dict[str, object]] = []

    @property
    def listing(self) -> bool:
        """Whether each finding is written (not with --diff, nor when only the statistics are)."""
        return not (self.silent or self.statistics)

    def add(self, batch: Batch) -> None:
        """Write a batch's findings (after those of the batches added before) and count them."""
        self.captions += batch.captions
        self.patterns.update(batch.patterns)
        self.failing = self.failing or batch.failing
        if self.form == "json" and batch.written:
            self.stream.write(("[\n" if not self.rows_written else ",\n") + ",\n".join(batch.written))
        else:
            self.stream.write("".join(batch.written))
        self.rows_written += len(batch.written)
        self.counts.update(batch.counts)
        self.kept.extend(batch.kept)

    def finish(self) -> None:
        if self.silent:
            pass
        elif self.statistics:
            self.stream.write(self.statistics_json() if self.form == "json" else self.statistics_table())
        elif self.form == "json":
            self.stream.write("\n]\n" if self.rows_written else "[]\n")
        elif self.form == "sarif":
            log = sarif_log(self.kept)
            self.stream.write(_terminal_safe_json(json_text(log)) + "\n")
        elif self.form == "junit":
            self.stream.write(junit_report([junit_case(row) for row in self.kept]))
        elif self.form == "text" and not self.quiet:
            self.stream.write("".join([*self.notes, *self.repeated_patterns()]) + self.summary() + "\n")
        self.stream.flush()

    def statistics_table(self) -> str:
        """Counts per rule, most first, as `ruff --statistics` prints them: count, rule, [*] when fixable."""
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        if not ranked:
            return ""
        width = len(str(ranked[0][1]))
        name_width = max(len(rule) for rule, _ in ranked)
        lines = []
        for rule, count in ranked:
            known = RULES.get(rule)
            fixable = "[*]" if known is not None and known.safe_fix else "   "
            summary = f" {known.summary}" if known is not None else ""
            lines.append(f"{count:>{width}}\t{rule:<{name_width}}\t{fixable}{summary}".rstrip() + "\n")
        return "".join(lines)

    def statistics_json(self) -> str:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        records = [
            {"rule": rule, "count": count, "fixable": rule in RULES and RULES[rule].safe_fix}
            for rule, count in ranked
        ]
        return json.dumps(records, indent=2) + "\n"

    def repeated_patterns(self) -> list[str]:
        """What several captions share, most shared first, a few per rule: the flood in a few lines."""
        lines = []
        shown: Counter[str] = Counter()
        for (rule, pattern), captions in sorted(self.patterns.items(), key=lambda item: (-item[1], item[0])):
            if captions < PATTERN_CAPTIONS or shown[rule] >= PATTERNS_PER_RULE:
                continue
            shown[rule] += 1
            lines.append(f"{rule}: {captions} captions {pattern}\n")
        return lines

    def summary(self) -> str:
        total = sum(self.counts.values())
        fixed_note = f", {self.fixed} caption{'s' if self.fixed != 1 else ''} fixed" if self.fixed else ""
        checked = f"{self.captions} caption{'s' if self.captions != 1 else ''} checked{fixed_note}"
        if self.inferred:
            checked += f"; trigger inferred: {', '.join(self.inferred)}"
        if not total:
            return f"No findings; {checked}."
        parts = ", ".join(f"{rule} {count}" for rule, count in sorted(self.counts.items()))
        return f"{total} finding{'s' if total != 1 else ''} ({parts}); {checked}."


def text_line(row: dict[str, object]) -> str:
    return f"{row['path']}:{row['line']}:{row['column']}: {row['severity']} {row['rule']} {row['message']}"


def _escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF would end or garble the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value: also `:` and `,`, which separate the properties."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(row: dict[str, object]) -> str:
    """One finding as a GitHub Actions workflow command, as `ruff --output-format github` writes it."""
    level = GITHUB_LEVELS[str(row["severity"])]
    properties = {
        "title": f"captionls ({row['rule']})",
        "file": str(row["path"]),
        "line": str(row["line"]),
        "col": str(row["column"]),
        "endLine": str(row["end_line"]),
        "endColumn": str(row["end_column"]),
    }
    joined = ",".join(f"{name}={_escape_property(value)}" for name, value in properties.items())
    message = f"{row['path']}:{row['line']}:{row['column']}: {row['rule']} {row['message']}"
    # The runner reads the command line by line; printable() keeps terminal controls out of the log.
    return printable(f"::{level} {joined}::{_escape_data(message)}")


def _artifact_uri(path: str) -> str:
    """A caption's path as a SARIF URI reference: relative paths stay relative (to the checkout)."""
    as_path = Path(path)
    return as_path.as_uri() if as_path.is_absolute() else quote(as_path.as_posix())


def sarif_result(row: dict[str, object]) -> dict[str, object]:
    rule = str(row["rule"])
    result: dict[str, object] = {
        "ruleId": rule,
        "level": SARIF_LEVELS[str(row["severity"])],
        "message": {"text": str(row["message"])},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _artifact_uri(str(row["path"]))},
                    "region": {
                        "startLine": row["line"],
                        "startColumn": row["column"],
                        "endLine": row["end_line"],
                        "endColumn": row["end_column"],
                    },
                }
            }
        ],
    }
    if rule in RULES:
        result["ruleIndex"] = list(RULES).index(rule)
    return result


def sarif_log(results: list[dict[str, object]]) -> dict[str, object]:
    """A SARIF 2.1.0 log of one run whose driver lists every rule of the registry."""
    rules = [
        {
            "id": rule.name,
            "name": rule.name,
            "shortDescription": {"text": rule.summary, "markdown": rule.summary},
            "help": {"text": rule.doc, "markdown": rule.doc},
            "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
        }
        for rule in RULES.values()
    ]
    driver = {"name": "captionls", "version": VERSION, "rules": rules}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
    }


def junit_case(row: dict[str, object]) -> ElementTree.Element:
    """One finding as a failed test case, as `ruff --output-format junit` writes one violation."""
    case = ElementTree.Element(
        "testcase",
        name=f"captionls.{row['rule']}",
        classname=printable(str(row["path"])),
        line=str(row["line"]),
        column=str(row["column"]),
    )
    failure = ElementTree.SubElement(case, "failure", message=printable(str(row["message"])))
    failure.set("type", str(row["severity"]))
    failure.text = printable(f"line {row['line']}, col {row['column']}, {row['message']}")
    return case


def junit_report(cases: list[ElementTree.Element]) -> str:
    """The test cases grouped in one test suite per caption file; no findings is one passing case."""
    root = ElementTree.Element("testsuites", name="captionls", tests=str(len(cases) or 1))
    root.set("failures", str(len(cases)))
    suites: dict[str, ElementTree.Element] = {}
    for case in cases:
        path = case.get("classname", "")
        suite = suites.get(path)
        if suite is None:
            suite = suites[path] = ElementTree.SubElement(root, "testsuite", name=path)
        suite.append(case)
    for suite in suites.values():
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(len(suite)))
    if not cases:
        suite = ElementTree.SubElement(root, "testsuite", name="captionls", tests="1", failures="0")
        ElementTree.SubElement(suite, "testcase", name="captionls")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


# What json.dumps leaves raw with ensure_ascii=False that a terminal may act on: DEL and the C1 controls
# (\x9b starts an escape sequence) and the line and paragraph separators.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")


def _terminal_safe_json(text: str) -> str:
    """JSON text with those characters as `\\uXXXX` escapes: the same data, safe to print."""
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
