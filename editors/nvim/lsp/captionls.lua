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
--- Settings are sent as the `captionls` section of `workspace/configuration`; a `captionls.toml` in the
--- dataset wins over them. Every key is optional:
---
--- ```lua
--- vim.lsp.config('captionls', {
---   settings = {
---     captionls = {
---       vocabulary = '/path/to/vocab.sqlite', -- default: the user's vocabulary store
---       tagStyle = 'spaces',                  -- or 'underscores'; default: the dataset's majority
---       escapeParentheses = true,
---       rules = { ['duplicate-tag'] = 'error', ['structure-order'] = 'off' }, -- error|warning|info|hint|off
---     },
---   },
--- })
--- ```

---@type vim.lsp.Config
return {
  cmd = { 'captionls', 'serve' },
  filetypes = { 'text', 'caption' },
  root_markers = { 'captionls.toml', '.git' },
  settings = {
    -- A dict, not a list, even when empty: the server reads the section as a JSON object.
    captionls = vim.empty_dict(),
  },
}
