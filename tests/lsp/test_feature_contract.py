"""The language server's feature contract: every module in features/ registers itself and is listed."""

from __future__ import annotations

import pkgutil

from lsprotocol import types

from captionls.server.lsp import features
from captionls.server.lsp.server import FEATURES, create_server


def test_every_feature_module_is_listed_and_registers() -> None:
    modules = {info.name for info in pkgutil.iter_modules(features.__path__)}
    listed = {feature.__name__.rsplit(".", 1)[-1] for feature in FEATURES}
    assert listed == modules
    assert all(callable(getattr(feature, "register", None)) for feature in FEATURES)


def test_the_server_lists_the_handlers_its_features_registered() -> None:
    server = create_server()
    registered = set(server.protocol.fm.features)
    assert {
        types.INITIALIZE,
        types.TEXT_DOCUMENT_DID_CHANGE,
        types.TEXT_DOCUMENT_COMPLETION,
        types.TEXT_DOCUMENT_HOVER,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.TEXT_DOCUMENT_RENAME,
        types.TEXT_DOCUMENT_INLAY_HINT,
        types.TEXT_DOCUMENT_FORMATTING,
        types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS,
    } <= registered
    assert "captionls.checkDataset" in server.protocol.fm.commands
