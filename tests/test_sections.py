"""The section map: built-in mapping, most-specific resolution, user files and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from captionls.vocab.sections import SECTIONS, load_section_map
from captionls.vocab.store import StoreError


def test_builtin_map_covers_the_guide_examples() -> None:
    sections = load_section_map()
    assert sections.section_of("kneeling", [["posture", "Basic positions"]]) == "action"
    assert sections.section_of("wink", [["face tags", "Emotions"]]) == "action"
    assert sections.section_of("cowboy shot", [["image composition", "Framing the body"]]) == "type"
    assert sections.section_of("wooden floor", [["locations", "Indoors"]]) == "background"
    assert sections.section_of("white background", [["tag group:Backgrounds", "Colors"]]) == "background"
    assert sections.section_of("short hair", [["hair"]]) == "subject"
    assert sections.section_of("blonde hair", [["Hair color"]]) == "subject"
    assert sections.section_of("dress", [["attire"]]) == "subject"
    assert sections.section_of("navel", [["body parts"]]) == "subject"
    assert set(sections.groups.values()) | set(sections.tags.values()) <= set(SECTIONS)


def test_lighting_techniques_of_image_composition_are_details() -> None:
    sections = load_section_map()
    # `backlighting` sits in image composition (type) and backgrounds (background): the tag wins.
    paths = [["image composition", "Techniques"], ["backgrounds", "Background Related"]]
    assert sections.section_of("backlighting", paths) == "details"
    assert sections.section_of("Back_Lighting", []) is None
    assert sections.section_of("motion blur", [["image composition", "Techniques"]]) == "type"


def test_most_specific_mapping_wins(tmp_path: Path) -> None:
    path = tmp_path / "sections.toml"
    path.write_text(
        '[groups]\n"posture" = "action"\n"attire" = "subject"\n'
        '"attire > Headwear and Headgear > crown" = "details"\n"Image_Composition > lighting" = "details"\n'
        '[tags]\n"contrapposto" = "globals"\n',
        encoding="utf-8",
    )
    sections = load_section_map(path)
    assert sections.section_of("crown", [["attire", "headwear and headgear", "crown"]]) == "details"
    # The deeper mapping wins whatever the order of the paths.
    deep_last = [["posture", "Arms"], ["attire", "Headwear and Headgear", "Crown", "tiara"]]
    assert sections.section_of("tiara", deep_last) == "details"
    assert sections.section_of("tiara", [["attire", "headwear and headgear"], ["posture"]]) == "subject"
    # Equal depth: the first path given decides.
    assert sections.section_of("x", [["posture"], ["attire"]]) == "action"
    assert sections.section_of("x", [["attire"], ["posture"]]) == "subject"
    assert sections.section_of("contrapposto", [["posture"]]) == "globals"
    assert sections.section_of("rim lighting", [["image composition", "Lighting"]]) == "details"
    assert sections.section_of("rim lighting", [["image composition"]]) is None
    assert sections.section_of("anything", []) is None
    # A user file replaces the built-in map.
    assert sections.section_of("white background", [["backgrounds"]]) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[groups]\n"posture" = "pose"\n', "unknown section 'pose'"),
        ("[groups\n", "sections.toml: "),
        ('[colors]\n"a" = "type"\n', "unknown table 'colors'"),
        ('groups = "posture"\n', "groups must be a table"),
        ('[groups]\n"posture >  > x" = "action"\n', "empty group name"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "sections.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError) as error:
        load_section_map(path)
    message = str(error.value)
    assert message.startswith(str(path)) and reason in message and "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot read the section map"):
        load_section_map(tmp_path / "absent.toml")


def test_a_tag_group_linked_inside_another_page_maps_as_itself() -> None:
    sections = load_section_map()
    assert (
        sections.section_of("sitting", [["body parts", "Tag group:Posture", "Basic positions"]]) == "action"
    )
    assert (
        sections.section_of("white background", [["image composition", "Tag group:Backgrounds", "Colors"]])
        == "background"
    )


def test_environment_names_the_users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[tags]\n"kneeling" = "subject"\n', encoding="utf-8")
    monkeypatch.setenv("CAPTIONLS_SECTIONS", str(path))
    assert load_section_map().section_of("kneeling", [["posture"]]) == "subject"
    monkeypatch.setenv("CAPTIONLS_SECTIONS", "")
    assert load_section_map().section_of("kneeling", [["posture"]]) == "action"
