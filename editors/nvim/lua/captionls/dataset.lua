-- :Captionls: the dataset's tags in a vim.ui.select picker, batch add/remove on a selection, and undo of
-- the dataset journal. Everything is a server command (server/lsp/features/selection.py), so the tag
-- style, separators, aliases and the selection language are the server's, exactly as in VS Code and the CLI.
local M = {}

local function notify(message, level)
  vim.notify('captionls: ' .. message, level or vim.log.levels.INFO)
end

--- The captionls client of the current buffer (a caption), or nil after saying why there is none.
---@return vim.lsp.Client?, integer
local function client_here()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'captionls' })[1]
  if not client then
    notify('no captionls client is attached to this buffer: open a caption of the dataset first', vim.log.levels.WARN)
  end
  return client, bufnr
end

--- Runs a server command; `done` gets its result (nothing when the server answered with an error).
local function execute(client, bufnr, command, argument, done)
  client:request('workspace/executeCommand', { command = command, arguments = { argument } }, function(err, result)
    if err then
      notify(err.message, vim.log.levels.ERROR)
    elseif result == nil or result == vim.NIL then
      notify(command .. ' failed in the server (its log: :LspLog)', vim.log.levels.ERROR)
    else
      done(result)
    end
  end, bufnr)
end

--- The cursor as an LSP position just after the character under it (where `a` would type), so the tag
--- goes after the tag the cursor is on.
local function position_after_cursor(client, bufnr, win)
  local row, col = unpack(vim.api.nvim_win_get_cursor(win))
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
  local byte = #line == 0 and 0 or col + 1 + vim.str_utf_end(line, col + 1)
  return { line = row - 1, character = vim.str_utfindex(line, client.offset_encoding, byte, false) }
end

--- Puts `tag` in at the cursor of `win` as the server writes it (separator and spacing included) and
--- leaves the cursor on its last character.
local function insert(client, bufnr, win, position, tag)
  execute(client, bufnr, 'captionls.insertTag', {
    uri = vim.uri_from_bufnr(bufnr),
    position = position,
    tag = tag,
  }, function(result)
    local edit = result and result.edit
    if edit == nil or edit == vim.NIL then
      notify(result.tag .. ' is in this line already (or the line is prose)', vim.log.levels.WARN)
      return
    end
    vim.lsp.util.apply_text_edits({ edit }, bufnr, client.offset_encoding)
    local start = edit.range.start
    local line = vim.api.nvim_buf_get_lines(bufnr, start.line, start.line + 1, false)[1]
    local _, last = edit.newText:find(result.tag, 1, true)
    local byte = vim.str_byteindex(line, client.offset_encoding, start.character, false) + (last or #edit.newText)
    if vim.api.nvim_win_is_valid(win) and vim.api.nvim_win_get_buf(win) == bufnr then
      vim.api.nvim_win_set_cursor(win, { start.line + 1, math.max(byte - 1, 0) })
    end
  end)
end

--- `:Captionls tags [query]`: the dataset's tags with their caption counts (inside the `query` selection
--- when given), in vim.ui.select (telescope, fzf-lua and snacks show it in their own UI); the chosen one
--- goes in at the cursor.
function M.tags(query)
  local client, bufnr = client_here()
  if not client then
    return
  end
  local win = vim.api.nvim_get_current_win()
  local position = position_after_cursor(client, bufnr, win)
  local argument = { uri = vim.uri_from_bufnr(bufnr), where = query ~= '' and query or nil }
  execute(client, bufnr, 'captionls.tagsList', argument, function(result)
    if #result.tags == 0 then
      notify('no tags in ' .. result.captions .. ' captions', vim.log.levels.WARN)
      return
    end
    local width = 0
    for _, item in ipairs(result.tags) do
      width = math.max(width, vim.fn.strdisplaywidth(item.tag))
    end
    vim.ui.select(result.tags, {
      prompt = ('Tags of %d captions%s'):format(result.captions, argument.where and (' where ' .. query) or ''),
      kind = 'captionls.tag',
      format_item = function(item)
        return item.tag .. (' '):rep(width - vim.fn.strdisplaywidth(item.tag) + 2) .. item.captions
      end,
    }, function(choice)
      if choice then
        insert(client, bufnr, win, position, choice.tag)
      end
    end)
  end)
end

--- `TAG[, TAG...] [where QUERY]` -> tags, query.
local function tags_and_query(text)
  local names, query = text, nil
  local before, after = text:match('^(.-)%s+where%s+(.+)$')
  if before then
    names, query = before, after
  end
  local tags = {}
  for name in vim.gsplit(names, ',', { plain = true, trimempty = true }) do
    if vim.trim(name) ~= '' then
      table.insert(tags, vim.trim(name))
    end
  end
  return tags, query
end

--- `:Captionls add|remove TAG[, TAG...] [where QUERY]`: one workspace edit of every selected caption of
--- the dataset, applied by Neovim (so `u` in a caption undoes it there; `:wa` writes them).
function M.batch(verb, text)
  local client, bufnr = client_here()
  if not client then
    return
  end
  local tags, query = tags_and_query(text)
  if #tags == 0 then
    notify(('usage: :Captionls %s TAG[, TAG...] [where QUERY]'):format(verb), vim.log.levels.ERROR)
    return
  end
  local command = verb == 'add' and 'captionls.tagsAdd' or 'captionls.tagsRemove'
  execute(client, bufnr, command, { uri = vim.uri_from_bufnr(bufnr), tags = tags, where = query }, function(result)
    local done = verb == 'add' and 'added to' or 'removed from'
    if result.captions == 0 then
      notify(('%s: no caption to change'):format(table.concat(tags, ', ')))
    elseif result.applied then
      local message = '%s %s %d captions (unsaved: :wa writes them, u undoes each)'
      notify(message:format(table.concat(tags, ', '), done, result.captions))
    else
      notify('Neovim did not apply the edit', vim.log.levels.ERROR)
    end
  end)
end

--- `:Captionls undo`: undoes the dataset's last write from its journal (`captionls tags`, `rename`,
--- `check --fix`, `format` on the command line), then reloads the buffers whose files it restored.
function M.undo()
  local client, bufnr = client_here()
  if not client then
    return
  end
  execute(client, bufnr, 'captionls.undo', { uri = vim.uri_from_bufnr(bufnr) }, function(result)
    if result.refused then
      notify(result.refused, vim.log.levels.WARN)
    elseif result.undone == nil or result.undone == vim.NIL then
      notify('nothing to undo')
    else
      vim.cmd.checktime()
      notify(('undid %s (%d captions restored)'):format(result.undone, result.captions))
    end
  end)
end

M.subcommands = { 'tags', 'add', 'remove', 'undo' }

--- The `:Captionls` command: `args` is everything after the command name.
function M.run(args)
  local subcommand, rest = args:match('^%s*(%S+)%s*(.-)%s*$')
  if subcommand == 'tags' then
    M.tags(rest)
  elseif subcommand == 'add' or subcommand == 'remove' then
    M.batch(subcommand, rest)
  elseif subcommand == 'undo' then
    M.undo()
  else
    local usage = 'usage: :Captionls tags [QUERY] | add TAG [where QUERY] | remove TAG [where QUERY] | undo'
    notify(usage, vim.log.levels.ERROR)
  end
end

--- Command-line completion: the subcommands, then `where` after the tags of add and remove.
function M.complete(arg_lead, cmd_line)
  local words = vim.split(vim.trim(cmd_line), '%s+')
  local typing_first = #words == 1 or (#words == 2 and arg_lead ~= '')
  if typing_first then
    return vim.tbl_filter(function(name)
      return vim.startswith(name, arg_lead)
    end, M.subcommands)
  end
  if (words[2] == 'add' or words[2] == 'remove') and not cmd_line:find('%swhere%s') and #words >= 3 then
    return vim.startswith('where', arg_lead) and { 'where' } or {}
  end
  return {}
end

return M
