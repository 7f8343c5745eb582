"""The dataset index after many edits answers exactly as a fresh scan of the same texts.

Updates move only what changed (a caption's keys, phrasings, lead) and recycle ids (of captions and of
written forms); a fresh index is the reference for every public answer.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from captionls.server.caption import dataset
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.files import CaptionReadError, read_caption_file, resolve_inside
from captionls.server.caption.written_forms import WrittenForms
from tests.kit.datasets import PNG, index_state, write_dataset

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


def _one_by_one(index: DatasetIndex) -> None:
    """The reference for a scan: each walked caption read and added on its own (its read error kept)."""
    for path, is_link in index.walk_links():
        try:
            if is_link:
                resolve_inside(path, index.root)
            file = read_caption_file(path)
        except CaptionReadError as error:
            index.errors[path] = str(error)
            index.remove(path)
            continue
        index.files[path] = file
        index.update(path, file.text)


@pytest.mark.parametrize("chunk", [1, 7, dataset.SCAN_CHUNK])
def test_a_scan_by_chunks_builds_the_index_of_one_caption_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    rng = random.Random(11)
    texts: dict[str, str | bytes] = {f"c{i:03d}": _text(rng) for i in range(60)}
    texts["c020"], texts["c021"] = b"binary\0file", "ohwx, Long_Hair, long hair, , long_hair, sky"
    root = write_dataset(tmp_path / "set", texts)
    (root / "c030.txt").unlink()
    (root / "c030.txt").symlink_to(root / "c031.txt")
    (root / "c032.txt").unlink()
    (root / "c032.txt").symlink_to(tmp_path)  # a link out of the dataset: a read error
    monkeypatch.setattr(dataset, "SCAN_CHUNK", chunk)
    scanned, reference = DatasetIndex(root), DatasetIndex(root)
    scanned.scan()
    _one_by_one(reference)
    assert len(scanned) == 58 and len(scanned.errors) == 2
    assert index_state(scanned) == index_state(reference)
    # Scanned again over what the index holds: a caption edited, one unreadable now, one removed from
    # the index (its id free for the next), one new, one with its tags in another order.
    (root / "c001.txt").write_text("Photo. A woman under the sky.\n", encoding="utf-8")
    (root / "c002.txt").write_bytes(b"not utf-8 \xff")
    (root / "c003.txt").write_text(", ".join(reversed(str(texts["c003"]).split(", "))), encoding="utf-8")
    (root / "new.txt").write_text("ohwx, smile, sky", encoding="utf-8")
    (root / "new.png").write_bytes(PNG)
    for index in (scanned, reference):
        index.remove(root / "c010.txt")
    scanned.scan()
    _one_by_one(reference)
    assert len(scanned) == 58 and len(scanned.errors) == 3
    assert index_state(scanned) == index_state(reference)


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
