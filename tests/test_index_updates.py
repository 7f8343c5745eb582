"""The dataset index after many edits answers exactly as a fresh scan of the same texts.

Updates move only what changed (a caption's keys, phrasings, lead) and recycle ids (of captions and of
written forms); a fresh index is the reference for every public answer.
"""

from __future__ import annotations

import random
from pathlib import Path

from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.written_forms import WrittenForms
from tests.kit.datasets import write_dataset

WORDS = ["smile", "arms up", "arms_up", "Arms Up", "long hair", "long_hair", "1girl", "sky", "^_^", "score_9"]


def _text(rng: random.Random) -> str:
    """Mostly tag lists led by the trigger, some prose, some empty captions."""
    lead = ["ohwx"] if rng.random() < 0.7 else []
    if rng.random() < 0.2:
        return f"{lead[0] if lead else 'Photo'}. A woman stands under the sky, smiling at the camera.\n"
    return ", ".join([*lead, *rng.sample(WORDS, rng.randint(0, 6))])


def _most_used(index: DatasetIndex, key: str, display: str) -> bool:
    phrasings = index.phrasings(key)
    return display == index.display(key) and phrasings[display] == max(phrasings.values())


def _per_key(index: DatasetIndex, key: str) -> tuple[object, ...]:
    """Its captions, how each phrasing counts, and how often the key is written as its own name."""
    return index.count(key), index.captions_using(key), index.phrasings(key), index.phrasing_count(key, key)


def _answers(index: DatasetIndex) -> dict[str, object]:
    """Every public answer; where two phrasings tie, which one wins follows history, so not compared."""
    keys = sorted(index.keys())
    return {
        "captions": index.captions(),
        "keys": keys,
        "tags": [(key, count, _most_used(index, key, display)) for key, display, count in index.tags()],
        "per key": [_per_key(index, key) for key in keys],
        "per caption": [(index.keys_of(path), index.count_others("sky", path)) for path in index.captions()],
        "lead": [index.leading_tag(share, 1) for share in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)],
        "style": index.detected_style(),
        "size": len(index),
    }


def test_index_after_edits_and_removals_answers_as_a_fresh_scan(tmp_path: Path) -> None:
    rng = random.Random(5)
    texts = {f"c{i:02d}": _text(rng) for i in range(30)}
    root = write_dataset(tmp_path / "set", texts)
    index = DatasetIndex(root)
    index.scan()
    names = list(texts)
    for step in range(400):
        name = rng.choice(names)
        path = root / f"{name}.txt"
        if rng.random() < 0.15 and name in texts:
            index.remove(path)
            del texts[name]
            path.unlink()
        else:  # a new text, or a removed caption back (its image stayed)
            texts[name] = _text(rng)
            path.write_text(texts[name], encoding="utf-8")
            index.update(path, texts[name])
        if step % 20 == 19:
            fresh = DatasetIndex(root)
            fresh.scan()
            assert _answers(index) == _answers(fresh), f"after {step + 1} edits"


def test_index_without_files_keeps_no_texts(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": "ohwx, smile", "b": "ohwx, sky"})
    index = DatasetIndex(root, keep_files=False)
    index.scan()
    assert index.files == {} and index.captions_using("ohwx") == [root / "a.txt", root / "b.txt"]


def test_written_forms_are_shared_and_their_ids_recycled() -> None:
    forms = WrittenForms()
    smile = forms.hold("smile", "smile")
    assert forms.hold("smile", "smile") == smile and len(forms) == 1
    forms.release(smile)
    forms.release(smile)
    assert len(forms) == 0
    # An editor typing `s`, `sm`, `smi` ... holds each new form only while a caption writes it.
    for typed in ("s", "sm", "smi", "smil"):
        held = forms.hold(typed, typed)
        assert held == smile and forms.forms[held] == (typed, typed)
        forms.release(held)
    assert len(forms) == 0
