"""The session: initialize, initialized, shutdown and the editor settings (initializationOptions and the
workspace/configuration section `captionls`, re-read on didChangeConfiguration).

Other features take part through the server's hooks: `on_initialize` (read the client's capabilities,
register what depends on them), `on_initialized` (start background work) and `on_shutdown`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from lsprotocol import types

from ..documents import CaptionProtocol
from ..settings import SECTION, Settings, parse_settings

if TYPE_CHECKING:
    from ..server import CaptionServer


def register(server: CaptionServer) -> None:
    session = Session(server)
    server.handle(types.INITIALIZE, session.initialize)
    server.handle(types.INITIALIZED, session.initialized)
    server.handle(types.SHUTDOWN, session.shutdown)
    server.handle(types.WORKSPACE_DID_CHANGE_CONFIGURATION, session.changed_configuration)


class Session:
    def __init__(self, server: CaptionServer) -> None:
        self.server = server
        self.captions = server.captions

    def initialize(self, params: types.InitializeParams) -> None:
        assert isinstance(self.server.protocol, CaptionProtocol)
        self.server.protocol.use_protocol_lines(params)
        self._apply(*parse_settings(params.initialization_options))
        for hook in self.server.on_initialize:
            hook(params)

    async def initialized(self, params: types.InitializedParams) -> None:
        # Settings first (they can name the vocabulary), then the scan, then whatever waits on the client.
        await self.load_configuration()
        for hook in self.server.on_initialized:
            started = hook()
            if inspect.isawaitable(started):
                await started

    def shutdown(self, params: None) -> None:
        """`shutdown`: stop background work and close the vocabularies (their WAL is checkpointed)."""
        self.server.idle.stop()
        for hook in self.server.on_shutdown:
            hook()
        for live in self.captions.vocabularies.values():
            live.close()

    async def load_configuration(self) -> None:
        caps = self.server.client_capabilities.workspace
        if not (caps and caps.configuration):
            return
        try:
            values = await self.server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception as error:
            self.server.log(f"workspace/configuration failed: {error}")
            return
        value = values[0] if values else None
        if value is None:
            return
        base = self.captions.settings
        settings, problems = parse_settings(value, base)
        self._report(problems)
        if settings != base:
            self.captions.apply_settings(settings)
            self.server.diagnostics.refresh_all()

    async def changed_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            self._apply(*parse_settings(settings[SECTION], Settings()))
            self.server.diagnostics.refresh_all()
        else:
            await self.load_configuration()

    def _apply(self, settings: Settings, problems: list[str]) -> None:
        self._report(problems)
        self.captions.apply_settings(settings)

    def _report(self, problems: list[str]) -> None:
        for problem in problems:
            self.server.log(problem)
