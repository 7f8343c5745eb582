"""captionls' version, written in this one place: pyproject.toml reads it for the distribution's metadata,
and the code reads it from here (asking importlib.metadata costs the language server's start-up ~40 ms)."""

VERSION = "0.1.0"
