"""The one test kit: real datasets, real vocabularies, the real CLI and a real language server client.

- `datasets`: dataset folders (captions with an image beside each) and a check context over one.
- `vocabularies`: SQLite vocabularies: the small caption-test one, the language-server one, the built-in one.
- `cli`: `captionls` in this process or as its own process.
- `lsp`: a pytest-lsp client session over stdio with the capabilities of real editors.
- `lsp_faults`: deadlines and raw requests for the fault tests of the language server.
- `danbooru`: a loopback HTTP server that answers like Danbooru.
- `clip_reference`: OpenAI's reference CLIP tokenizer, to compare token counts with.
"""
