-- Driven by test_nvim.py: a real Neovim with editors/nvim on 'runtimepath' and vim.lsp.enable('captionls'),
-- exactly as a user sets it up. Writes what it saw as JSON to $CAPTIONLS_NVIM_OUT.
local caption = assert(os.getenv('CAPTIONLS_NVIM_CAPTION'))
local readme = assert(os.getenv('CAPTIONLS_NVIM_README'))
local out = assert(os.getenv('CAPTIONLS_NVIM_OUT'))
local seen = { errors = {} }

local function fail(message)
  table.insert(seen.errors, message)
end

local function client_for(bufnr)
  local attached = vim.wait(20000, function()
    return #vim.lsp.get_clients({ bufnr = bufnr, name = 'captionls' }) > 0
  end, 50)
  if not attached then
    fail('captionls did not attach to ' .. vim.api.nvim_buf_get_name(bufnr))
    return nil
  end
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'captionls' })[1]
end

local function request(bufnr, method, params)
  local responses = vim.lsp.buf_request_sync(bufnr, method, params, 10000) or {}
  for _, response in pairs(responses) do
    if response.err then
      fail(method .. ': ' .. vim.inspect(response.err))
    end
    return response.result
  end
  return nil
end

local function position_of(bufnr, client, needle, after)
  local line = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1]
  local byte = assert(line:find(needle, 1, true), needle) - 1 + after
  local character = vim.str_utfindex(line, client.offset_encoding, byte)
  return { line = 0, character = character }
end

local function codes(bufnr)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, diagnostic.code)
  end
  return found
end

local function has(list, value)
  return vim.tbl_contains(list, value)
end

-- Escaped parentheses, so typing shows a tag with backslashes going in whole.
vim.lsp.config('captionls', { settings = { captionls = { escapeParentheses = true } } })
vim.lsp.enable('captionls')
vim.cmd.edit(caption)
local bufnr = vim.api.nvim_get_current_buf()
local client = client_for(bufnr)
if client then
  seen.offset_encoding = client.offset_encoding
  -- Type a partial tag and a duplicate: the buffer change goes to the server as didChange.
  vim.api.nvim_buf_set_lines(bufnr, 0, 1, false, { 'ohwxStyle, anime, sole female, solo, contra, 1girl, sitting, couch' })

  local completion = request(bufnr, 'textDocument/completion', {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    position = position_of(bufnr, client, 'contra', 6),
  })
  local items = completion and (completion.items or completion) or {}
  seen.completion = {}
  for _, item in ipairs(items) do
    table.insert(seen.completion, item.label)
  end

  local hover = request(bufnr, 'textDocument/hover', {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    position = position_of(bufnr, client, 'sole female', 2),
  })
  seen.hover = hover and hover.contents and hover.contents.value or vim.NIL

  local hints = request(bufnr, 'textDocument/inlayHint', {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = 0, character = 0 }, ['end'] = { line = 1, character = 0 } },
  }) or {}
  seen.hints = {}
  for _, hint in ipairs(hints) do
    table.insert(seen.hints, hint.label)
  end

  vim.wait(10000, function()
    return has(codes(bufnr), 'duplicate-tag')
  end, 50)
  seen.codes_before = codes(bufnr)

  -- Apply the duplicate-tag quickfix the way `vim.lsp.buf.code_action()` would.
  local duplicate
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.code == 'duplicate-tag' then
      duplicate = diagnostic
    end
  end
  if duplicate then
    local lsp_diagnostic = duplicate.user_data and duplicate.user_data.lsp
    local actions = request(bufnr, 'textDocument/codeAction', {
      textDocument = vim.lsp.util.make_text_document_params(bufnr),
      range = lsp_diagnostic.range,
      context = { diagnostics = { lsp_diagnostic }, only = { 'quickfix' } },
    }) or {}
    seen.actions = {}
    for _, action in ipairs(actions) do
      table.insert(seen.actions, action.title)
    end
    for _, action in ipairs(actions) do
      if action.isPreferred and action.edit then
        vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
        break
      end
    end
    vim.wait(10000, function()
      return not has(codes(bufnr), 'duplicate-tag')
    end, 50)
  end
  seen.text_after = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1]
  seen.codes_after = codes(bufnr)

  -- A README.txt beside the captions: same filetype, same client, nothing from the server.
  vim.cmd.edit(readme)
  local readme_buf = vim.api.nvim_get_current_buf()
  local readme_client = client_for(readme_buf)
  if readme_client then
    local readme_completion = request(readme_buf, 'textDocument/completion', {
      textDocument = vim.lsp.util.make_text_document_params(readme_buf),
      position = { line = 0, character = 3 },
    })
    local readme_hover = request(readme_buf, 'textDocument/hover', {
      textDocument = vim.lsp.util.make_text_document_params(readme_buf),
      position = { line = 0, character = 3 },
    })
    vim.wait(1500)
    seen.readme = {
      completion = readme_completion == nil,
      hover = readme_hover == nil,
      diagnostics = #vim.diagnostic.get(readme_buf),
    }
  end
end

-- `:checkhealth captionls` from the caption, with the completion set-up the README recommends.
if client then
  vim.cmd.edit(caption)
  vim.opt.completeopt = { 'menu', 'menuone', 'noinsert' }
  vim.cmd('checkhealth captionls')
  seen.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

-- Typing in insert mode as a user does, with the README's recommended set-up ($CAPTIONLS_NVIM_SETUP): keys go
-- through the input queue one at a time and the completion menu comes and goes on Neovim's own event loop,
-- so the steps run in a coroutine that sleeps on timers instead of blocking in vim.wait.
local function sleep(ms)
  local co = coroutine.running()
  vim.defer_fn(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      fail('typing: ' .. tostring(err))
    end
  end, ms)
  coroutine.yield()
end

local function eventually(predicate, timeout)
  local started = vim.uv.now()
  while not predicate() do
    if vim.uv.now() - started > timeout then
      return false
    end
    sleep(20)
  end
  return true
end

local function press(keys)
  vim.api.nvim_feedkeys(vim.keycode(keys), 't', false)
  sleep(30)
end

local function type_text(text)
  for _, char in ipairs(vim.fn.split(text, '\\zs')) do
    press(char)
  end
end

local function current_line()
  return vim.api.nvim_get_current_line()
end

-- The menu's first item, once it shows `label`; nil when it never does.
local function menu_showing(label)
  local shown = eventually(function()
    local items = vim.fn.complete_info({ 'items' }).items
    return vim.fn.pumvisible() == 1 and items[1] ~= nil and items[1].abbr == label
  end, 5000)
  return shown
end

-- From `start` at the end of the line, type `typed`, accept the first item (`label`) with <C-y>: the line.
local function accept(start, typed, label, omnifunc)
  press('<Esc>')
  vim.api.nvim_set_current_line(start)
  press('A')
  type_text(typed)
  if omnifunc then
    press('<C-e>')
    press('<C-x><C-o>')
  end
  if not menu_showing(label) then
    local items = vim.fn.complete_info({ 'items' }).items
    fail(('typing %q: no menu showing %q (first: %s)'):format(typed, label, items[1] and items[1].abbr or 'none'))
    return current_line()
  end
  local before = current_line()
  press('<C-y>')
  -- The text edit goes in when the item is accepted (CompleteDone, after completionItem/resolve).
  eventually(function()
    return current_line() ~= before and vim.snippet.active() == false
  end, 3000)
  sleep(100)
  return current_line()
end

local function typing()
  dofile(assert(os.getenv('CAPTIONLS_NVIM_SETUP')))
  vim.cmd.edit(assert(os.getenv('CAPTIONLS_NVIM_TYPED')))
  local typed_buf = vim.api.nvim_get_current_buf()
  if not client_for(typed_buf) then
    return
  end
  eventually(function()
    return vim.api.nvim_get_autocmds({ event = 'InsertCharPre', buffer = typed_buf })[1] ~= nil
  end, 5000)
  local start = 'ohwxStyle, 1girl'
  local typed = {}
  -- `, ` opens the menu (trigger characters) and inserts nothing.
  press('<Esc>')
  vim.api.nvim_set_current_line(start)
  press('A')
  type_text(', ')
  typed.menu_after_comma = eventually(function()
    return vim.fn.pumvisible() == 1
  end, 5000)
  sleep(200)
  typed.after_comma = current_line()
  typed.long_hair = accept(start, ', long ha', 'long hair')
  typed.attention = accept(start, ', (long ha', 'long hair')
  typed.alias = accept(start, ', raised ar', 'raised arms → arms up')
  typed.typo = accept(start, ', lokking at', 'looking at viewer')
  typed.escaped = accept(start, ', fate (se', [[fate \(series\)]])
  typed.cjk = accept(start, ', 猫耳', '猫耳 メイド')
  typed.omnifunc = accept(start, ', very lo', 'very long hair', true)
  press('<Esc>')
  seen.typing = typed
end

local function finish()
  local file = assert(io.open(out, 'w'))
  file:write(vim.json.encode(seen))
  file:close()
  vim.cmd('qall!')
end

coroutine.wrap(function()
  local ok, err = pcall(typing)
  if not ok then
    fail('typing: ' .. tostring(err))
  end
  finish()
end)()
