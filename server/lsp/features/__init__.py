"""The language server's features: each module's `register(server)` installs its handlers (through
`CaptionServer.handle`, behind the one guard) and its session hooks; `server.FEATURES` lists them."""
