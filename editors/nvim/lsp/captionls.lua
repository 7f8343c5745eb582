-- captionls for Neovim 0.11+: put this folder (editors/nvim) on 'runtimepath', then
--   vim.lsp.enable('captionls')
-- Override anything with vim.lsp.config('captionls', { ... }); tables are merged.
--
-- The server decides which files are captions (a .txt/.caption beside an image, or below a
-- captionls.toml), so enabling it for every `text` buffer leaves README.txt and friends alone.
return {
  cmd = { 'captionls', 'serve' },
  filetypes = { 'text', 'caption' },
  root_markers = { 'captionls.toml', '.git' },
  -- Sent as the workspace/configuration section `captionls`; captionls.toml in a dataset wins
  -- over these. Every key is optional; an empty table means "captionls.toml and built-in defaults".
  -- Keys:
  --   vocabulary = '/path/to/vocab.sqlite'   -- the vocabulary database (default: the user's store)
  --   tagStyle = 'spaces' | 'underscores'    -- default: detected from the dataset's majority
  --   escapeParentheses = true | false
  --   rules = { ['duplicate-tag'] = 'error', ['structure-order'] = 'off' }  -- error|warning|info|hint|off
  settings = {
    captionls = vim.empty_dict(),
  },
}
