"""pyproject.toml lists every package and data file, so a built wheel (the .vsix holds one) has the server.

An editable install finds modules by the package-dir mapping alone: a missing entry shows only in a wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
PACKAGE_DIRS: dict[str, str] = SETUPTOOLS["package-dir"]


def _folders() -> dict[str, Path]:
    """Import name -> folder, for every folder with an __init__.py under the mapped roots."""
    found = {}
    for name, folder in PACKAGE_DIRS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(ROOT / folder)
            found[".".join([name, *relative.parts])] = init.parent
    return found


def test_every_package_folder_is_listed() -> None:
    assert sorted(_folders()) == sorted(SETUPTOOLS["packages"])


def test_every_data_file_is_package_data() -> None:
    patterns: dict[str, list[str]] = SETUPTOOLS["package-data"]
    folders = _folders()
    unlisted = []
    for name, folder in folders.items():
        for path in folder.iterdir():
            if path.is_dir() or path.suffix == ".py":
                continue
            owners = [owner for owner in patterns if name == owner or name.startswith(owner + ".")]
            if not any(
                fnmatch.fnmatch(str(path.relative_to(folders[owner])), pattern)
                for owner in owners
                for pattern in patterns[owner]
            ):
                unlisted.append(str(path.relative_to(ROOT)))
    assert unlisted == []
