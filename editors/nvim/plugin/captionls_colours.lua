-- Colours for captionls' semantic tokens. A tag's section of the caption structure is its token type
-- (@lsp.type.globals, .type, .action, .subject, .details, .background, .associations; @lsp.type.tag is a
-- known tag in no section) and its vocabulary category a modifier (@lsp.mod.general, .character, ...).
-- Neovim links only the standard token types to highlight groups, so the sections get links here: the
-- kinds of colour VS Code's default themes give them. `default = true`: a colour scheme or your own
-- `nvim_set_hl` wins.
if vim.g.loaded_captionls_colours then
  return
end
vim.g.loaded_captionls_colours = true

local section_links = {
  ['@lsp.type.globals'] = '@keyword',
  ['@lsp.type.type'] = '@type',
  ['@lsp.type.action'] = '@function',
  ['@lsp.type.subject'] = '@variable',
  ['@lsp.type.details'] = '@number',
  ['@lsp.type.background'] = '@string',
  ['@lsp.type.associations'] = '@keyword.conditional',
}

local function link_sections()
  for group, target in pairs(section_links) do
    vim.api.nvim_set_hl(0, group, { link = target, default = true })
  end
end

link_sections()
-- `:colorscheme` clears every group first.
vim.api.nvim_create_autocmd('ColorScheme', {
  group = vim.api.nvim_create_augroup('captionls_colours', { clear = true }),
  callback = link_sections,
})
