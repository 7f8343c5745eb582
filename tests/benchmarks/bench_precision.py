#!/usr/bin/env python3
"""How many of `check`'s findings are real problems, per caption kind (README: precision). Not a test.

    .venv/bin/python tests/benchmarks/bench_precision.py [--db PATH] [--verbose]

Each folder of tests/data/realstyle/ is one kind of caption (WD14 tagger output, BLIP sentences, VLM
paragraphs, the guide's style, a 38-tag template) with `expected.tsv`: the findings a careful captioner
expects, one per line as `file<TAB>rule<TAB>underlined text` (`*`: any text). A finding that matches an
expected line is a real problem; any other finding is noise. For each kind it prints the captions, the
findings per caption, expected found / expected, noise, per rule; then what `--fix` changes in prose
captions (it must change nothing) and the findings of the guide's FULL EXAMPLE checked on its own.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.config import load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.findings import Finding
from captionls.server.caption.fixes import fix_text
from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.sections import load_section_map

CORPUS = Path(__file__).resolve().parent.parent / "data" / "realstyle"
EXPECTED = "expected.tsv"
PROSE_KINDS = ("blip", "vlm")
# The rules whose sum the issue bounds on tag captions (at most one finding per caption on average).
NOISY_RULES = ("structure-order", "unknown-tag", "repeated-word", "tag-count")
ANY = "*"


def read_expected(folder: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in (folder / EXPECTED).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, rule, text = line.split("\t")
            rows.append((name, rule, text))
    return rows


@dataclass
class KindResult:
    captions: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    real: Counter[str] = field(default_factory=Counter)
    noise: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    expected: int = 0


def check_folder(folder: Path, vocabulary: Vocabulary) -> tuple[DatasetIndex, CheckContext]:
    config = load_config(folder)
    index = DatasetIndex(folder, config)
    index.scan()
    return index, CheckContext(config, vocabulary, index, load_section_map())


def measure(folder: Path, vocabulary: Vocabulary) -> KindResult:
    index, ctx = check_folder(folder, vocabulary)
    expected = read_expected(folder)
    result = KindResult(captions=len(index), expected=len(expected))
    unmatched = list(expected)
    for path in index.captions():
        text = index.files[path].text
        for finding in check_text(path, text, ctx):
            result.findings[finding.rule] += 1
            underlined = text[finding.start : finding.end]
            match = next(
                (
                    row
                    for row in unmatched
                    if row[0] == path.name and row[1] == finding.rule and row[2] in (ANY, underlined)
                ),
                None,
            )
            if match is None:
                result.noise.append(f"{path.name} {finding.rule} {underlined!r}: {finding.message}")
            else:
                unmatched.remove(match)
                result.real[finding.rule] += 1
    result.missed = [f"{name} {rule} {text!r}" for name, rule, text in unmatched]
    return result


def prose_rewrites(folder: Path, vocabulary: Vocabulary) -> int:
    """How many prose captions `--fix` would change (should be none)."""
    index, ctx = check_folder(folder, vocabulary)
    return sum(
        fix_text(path, index.files[path].text, ctx) != index.files[path].text for path in index.captions()
    )


def full_example_alone(vocabulary: Vocabulary) -> list[Finding]:
    """The guide's FULL EXAMPLE (guide/01.txt) as the only caption of a dataset with its trigger."""
    source = CORPUS / "guide"
    with tempfile.TemporaryDirectory(prefix="captionls-precision-") as tmp:
        root = Path(tmp)
        (root / "captionls.toml").write_bytes((source / "captionls.toml").read_bytes())
        (root / "01.txt").write_bytes((source / "01.txt").read_bytes())
        (root / "01.png").write_bytes((source / "01.png").read_bytes())
        index, ctx = check_folder(root, vocabulary)
        return check_text(root / "01.txt", index.files[root / "01.txt"].text, ctx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="vocabulary to use (default: a fresh built-in one)")
    parser.add_argument("--verbose", action="store_true", help="list every noise finding and every miss")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="captionls-bench-precision-") as tmp:
        store = open_vocabulary(args.db or Path(tmp) / "vocabulary.sqlite")
        vocabulary = Vocabulary(store)
        print(
            f"{'kind':<9} {'captions':>8} {'findings':>8} {'/caption':>8} {'real':>5} {'noise':>5}"
            f" {'found/expected':>14} {'noisy rules/caption':>19}  per rule (real/all)"
        )
        for folder in sorted(p for p in CORPUS.iterdir() if (p / EXPECTED).is_file()):
            result = measure(folder, vocabulary)
            total = sum(result.findings.values())
            real = sum(result.real.values())
            noisy = sum(result.findings[rule] for rule in NOISY_RULES)
            per_rule = ", ".join(
                f"{rule} {result.real[rule]}/{count}" for rule, count in sorted(result.findings.items())
            )
            print(
                f"{folder.name:<9} {result.captions:>8} {total:>8} {total / result.captions:>8.2f}"
                f" {real:>5} {total - real:>5} {f'{real}/{result.expected}':>14}"
                f" {noisy / result.captions:>19.2f}  {per_rule or '-'}"
            )
            if args.verbose:
                for line in result.noise:
                    print(f"    noise  {line}")
                for line in result.missed:
                    print(f"    missed {line}")
        for kind in PROSE_KINDS:
            print(f"--fix rewrites {prose_rewrites(CORPUS / kind, vocabulary)} {kind} captions (prose)")
        alone = full_example_alone(vocabulary)
        rules = Counter(finding.rule for finding in alone)
        print(
            f"the guide's FULL EXAMPLE alone: {len(alone)} findings"
            f" ({', '.join(f'{rule} {count}' for rule, count in sorted(rules.items()))})"
        )
        if args.verbose:
            for finding in alone:
                print(f"    {finding.rule}: {finding.message}")
        store.close()


if __name__ == "__main__":
    main()
