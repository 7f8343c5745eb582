"""Names vulture (dead code, run by scripts/test) reports that are used where it cannot see.

Each is used by a framework or by name: click commands are loaded lazily from strings
(server/cli/__init__.py), pygls calls the overridden protocol methods, annotations need the
TYPE_CHECKING import, and httpx reads the transport attribute we set.
"""

# ruff: noqa: B018, F821
DataclassInstance  # typing only, under TYPE_CHECKING (server/caption/rules/base.py)
exit_code  # click.ClickException's exit status (server/cli/check.py)
format_command  # click command, loaded lazily by name (server/cli/__init__.py)
import_danbooru  # click command (server/cli/danbooru.py)
groups_command  # click command (server/cli/danbooru.py)
serve  # click command, loaded lazily by name (server/cli/__init__.py)
tokens  # click command, loaded lazily by name (server/cli/__init__.py)
init_command  # click command, loaded lazily by name (server/cli/__init__.py)
import_command  # click command (server/cli/vocab.py)
show  # click command (server/cli/vocab.py)
lists_command  # click command (server/cli/vocab.py)
export_command  # click command (server/cli/vocab.py)
path_command  # click command (server/cli/vocab.py)
delete_command  # click command of `vocab list` (server/cli/lists.py)
rename_command  # click command of `vocab list` (server/cli/lists.py)
copy_command  # click command of `vocab list` (server/cli/lists.py)
diff_command  # click command of `vocab list` (server/cli/lists.py)
add_from_command  # click command of `vocab list` (server/cli/lists.py)
prune_command  # click command of `vocab list` (server/cli/lists.py)
list_command  # click command of `tags` (server/cli/tags.py)
undo  # click command, loaded lazily by name (server/cli/__init__.py)
_._create_text_document  # pygls' Workspace hook, overridden (server/lsp/documents.py)
_._send_data  # pygls writes every message through it, overridden (server/lsp/documents.py)
_._workspace  # pygls' protocol attribute, set (server/lsp/documents.py)
_.documentation  # lsprotocol field filled on completionItem/resolve (server/lsp/features/completion.py)
_._network_backend  # httpcore's pool reads it (vocab/importers/bounded_http.py)
exc  # __exit__'s arguments (vocab/store.py)
_.data_received  # asyncio.Protocol callbacks the event loop calls (server/lsp/transport.py)
_.eof_received  # asyncio.Protocol callback (server/lsp/transport.py)
_.connection_lost  # asyncio.Protocol callback (server/lsp/transport.py)
_.readexactly  # pygls' AsyncReader method, called by its message loop (server/lsp/transport.py)
_._stop_event  # pygls' server attribute its shutdown() sets (server/lsp/transport.py)
