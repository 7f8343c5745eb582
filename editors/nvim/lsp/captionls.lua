---@brief
---
--- captionls: tag vocabulary and language server for hand-captioned image datasets (Stable Diffusion /
--- LoRA training), where each `foo.png` has a `foo.txt` beside it holding booru-style tags.
--- Completion and hover from a SQLite tag vocabulary, diagnostics, fixes and dataset-wide rename.
---
--- ```sh
--- pip install captionls
--- ```
---
--- The server decides which files are captions (a `.txt`/`.caption` beside an image, or below a
--- `captionls.toml`), so enabling it for every `text` buffer leaves `README.txt` and friends alone.
--- `:checkhealth captionls` shows the server, its vocabulary and the attached client.
---
--- Settings are sent as the `captionls` section of `workspace/configuration` (the keys are listed in
--- `settings` below); a `captionls.toml` in the dataset wins over them:
---
--- ```lua
--- vim.lsp.config('captionls', {
---   settings = { captionls = { vocabulary = vim.fn.expand('~/captions/vocab.sqlite') } },
--- })
--- ```

---@type vim.lsp.Config
return {
  cmd = { 'captionls', 'serve' },
  filetypes = { 'text', 'caption' },
  root_markers = { 'captionls.toml', '.git' },
  -- Every key is optional; an empty table means "captionls.toml and built-in defaults". Keys:
  --   vocabulary = '/path/to/vocab.sqlite'   -- the vocabulary database (default: the user's store)
  --   tagStyle = 'spaces' | 'underscores'    -- default: detected from the dataset's majority
  --   escapeParentheses = true | false
  --   rules = { ['duplicate-tag'] = 'error', ['structure-order'] = 'off' }  -- error|warning|info|hint|off
  settings = {
    -- A dict even when empty: an empty Lua table would reach the server as a JSON array.
    captionls = vim.empty_dict(),
  },
}
