-- Driven by test_nvim_dataset.py: :Captionls in a real Neovim with editors/nvim on 'runtimepath' and
-- vim.lsp.enable('captionls'), as a user sets it up. Writes what it saw as JSON to $CAPTIONLS_NVIM_OUT.
local dataset = assert(os.getenv('CAPTIONLS_NVIM_DATASET'))
local out = assert(os.getenv('CAPTIONLS_NVIM_OUT'))
local seen = { errors = {}, notes = {} }

local function fail(message)
  table.insert(seen.errors, message)
end

vim.notify = function(message, level)
  table.insert(seen.notes, message)
  if level == vim.log.levels.ERROR then
    fail(message)
  end
end

local function line_of(path)
  local bufnr = vim.fn.bufnr(path)
  return bufnr ~= -1 and vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or nil
end

-- The picker as telescope, fzf-lua or snacks would show it: record the labels, choose `smile`.
local choose = 'smile'
vim.ui.select = function(items, opts, on_choice)
  seen.prompt = opts.prompt
  seen.labels = {}
  local chosen
  for _, item in ipairs(items) do
    table.insert(seen.labels, opts.format_item(item))
    if item.tag == choose then
      chosen = item
    end
  end
  on_choice(chosen)
end

vim.lsp.enable('captionls')
local caption = dataset .. '/a1.txt'
vim.cmd.edit(caption)
local bufnr = vim.api.nvim_get_current_buf()
if not vim.wait(20000, function()
  return #vim.lsp.get_clients({ bufnr = bufnr, name = 'captionls' }) > 0
end, 50) then
  fail('captionls did not attach')
end

-- The cursor on the `s` of `solo`: the tag goes in after `solo`.
local original = line_of(caption)
vim.api.nvim_win_set_cursor(0, { 1, original:find('solo', 1, true) - 1 })
vim.cmd('Captionls tags')
vim.wait(10000, function()
  return line_of(caption) ~= original
end, 50)
seen.after_pick = line_of(caption)
seen.cursor = vim.api.nvim_win_get_cursor(0)
local picked_labels, picked_prompt = seen.labels, seen.prompt

-- A selection query: counts inside it.
seen.labels = nil
choose = nil
vim.cmd('Captionls tags "short hair" OR "brown hair"')
vim.wait(10000, function()
  return seen.labels ~= nil
end, 50)
seen.query_prompt = seen.prompt
seen.query_labels = seen.labels
seen.labels, seen.prompt = picked_labels, picked_prompt

-- One batch add on a selection: the captions drawn (a3, a4), as buffers Neovim edits, then written.
vim.cmd('Captionls add hat where drawing')
vim.wait(10000, function()
  local a4 = line_of(dataset .. '/a4.txt')
  return a4 ~= nil and a4:find('hat', 1, true) ~= nil
end, 50)
seen.modified = {}
for _, info in ipairs(vim.fn.getbufinfo({ bufmodified = 1 })) do
  table.insert(seen.modified, vim.fn.fnamemodify(info.name, ':t'))
end
table.sort(seen.modified)
vim.cmd('silent wall')

-- A dataset-wide write on the command line, then :Captionls undo puts the files back and the buffer follows.
vim.fn.system({ 'captionls', 'tags', 'remove', 'hat', dataset })
seen.cli_exit = vim.v.shell_error
vim.cmd('Captionls undo')
vim.wait(10000, function()
  local a3 = line_of(dataset .. '/a3.txt')
  return vim.tbl_contains(seen.notes, 'captionls: undid tags remove hat (2 captions restored)')
    and a3 ~= nil
    and a3:find('hat', 1, true) ~= nil
end, 50)
seen.a3_after_undo = line_of(dataset .. '/a3.txt')

-- Command-line completion: the subcommands, then `where` after the tags.
seen.completion = {
  first = vim.fn.getcompletion('Captionls ', 'cmdline'),
  typed = vim.fn.getcompletion('Captionls re', 'cmdline'),
  where = vim.fn.getcompletion('Captionls add long hair ', 'cmdline'),
}

local file = assert(io.open(out, 'w'))
file:write(vim.json.encode(seen))
file:close()
vim.cmd('qall!')
