"""URLs as they may be shown or stored: never with the credentials someone typed into them."""

from __future__ import annotations


def without_userinfo(text: str) -> str:
    """`text` (a URL, or a record starting with one) with any `user:password@` removed.

    A password typed into `--base-url` must not end up in the database, a saved file or a terminal
    log. The authority ends at the first `/` here, not at `?` or `#` as RFC 3986 says: a password
    may hold those, and showing a little less of an odd URL is better than showing a password.
    """
    scheme, separator, rest = text.partition("://")
    if not separator:
        return text
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
