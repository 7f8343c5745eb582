-- `:checkhealth captionls`: what a captioner needs to see when completion or diagnostics stay away —
-- is the server there (and which version), which vocabulary does it read, did it attach to the
-- caption, and is completion set up. Everything is asked of Neovim or of the `captionls` CLI itself.
local M = {}

local health = vim.health

--- The effective `captionls` config: vim.lsp.config's merge of lsp/captionls.lua and the user's tables.
---@return vim.lsp.Config?
local function config()
  local ok, resolved = pcall(function()
    return vim.lsp.config.captionls
  end)
  return ok and resolved or nil
end

--- Runs the server executable with `args`; its trimmed stdout, or nil and a one-line reason.
---@param executable string
---@param args string[]
---@param env table<string, string>?
---@return string?, string?
local function run(executable, args, env)
  local ok, process = pcall(vim.system, { executable, unpack(args) }, { text = true, env = env })
  if not ok then
    return nil, tostring(process)
  end
  local result = process:wait(10000)
  if result.code ~= 0 then
    local reason = vim.trim(result.stderr or '')
    return nil, reason ~= '' and reason or ('exit code ' .. result.code)
  end
  return vim.trim(result.stdout or ''), nil
end

---@param bytes integer
---@return string
local function human_size(bytes)
  if bytes >= 1024 * 1024 then
    return string.format('%.1f MB', bytes / (1024 * 1024))
  end
  return string.format('%.1f kB', bytes / 1024)
end

--- The buffer the user ran :checkhealth from: the health buffer is current, the caption is the
--- alternate buffer of its window.
---@return integer?
local function origin_buffer()
  local alternate = vim.fn.bufnr('#')
  if alternate > 0 and vim.api.nvim_buf_is_valid(alternate) and vim.bo[alternate].buftype == '' then
    return alternate
  end
  return nil
end

---@return string? executable
local function check_server(resolved)
  health.start('captionls: server')
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. tostring(vim.version()))
  else
    health.error('Neovim ' .. tostring(vim.version()) .. ' is too old', { 'lsp/captionls.lua needs Neovim 0.11+' })
  end
  if not resolved then
    health.error('no `captionls` LSP config', { 'put editors/nvim on runtimepath (it holds lsp/captionls.lua)' })
    return nil
  end
  local cmd = resolved.cmd
  if type(cmd) ~= 'table' then
    health.info('cmd is a function (for example a TCP connection): not checking an executable')
    return nil
  end
  local executable = vim.fn.exepath(cmd[1])
  if executable == '' then
    health.error(('server command `%s` not found'):format(cmd[1]), {
      'pip install captionls (or pip install -e . in a clone), so that `captionls` is on PATH',
      "or point cmd at it: vim.lsp.config('captionls', { cmd = { '/path/to/captionls', 'serve' } })",
    })
    return nil
  end
  local version, reason = run(executable, { '--version' }, resolved.cmd_env)
  if version then
    health.ok(('server command: %s (%s)'):format(executable, version))
  else
    health.warn(('server command: %s, but `--version` failed: %s'):format(executable, reason))
  end
  return executable
end

local function check_vocabulary(resolved, executable, client)
  health.start('captionls: vocabulary')
  local settings = (client and client.settings) or (resolved and resolved.settings) or {}
  local configured = vim.tbl_get(settings, 'captionls', 'vocabulary')
  local path, reason
  if type(configured) == 'string' and configured ~= '' then
    path = vim.fn.expand(configured)
  elseif executable then
    path, reason = run(executable, { 'vocab', 'path' }, resolved and resolved.cmd_env)
  else
    reason = 'no server command to ask'
  end
  if not path then
    health.warn('cannot tell where the vocabulary is: ' .. reason)
    return
  end
  local stat = vim.uv.fs_stat(path)
  if stat then
    local size = human_size(stat.size)
    -- The tag count only from an existing file: `vocab stats` would fill a missing one first.
    local stats = executable and run(executable, { 'vocab', '--db', path, 'stats' }, resolved and resolved.cmd_env)
    local tags = stats and stats:match('\ntags: ([%d,]+)')
    health.ok(('vocabulary: %s (%s%s)'):format(path, size, tags and (', ' .. tags .. ' tags') or ''))
  else
    health.info(('vocabulary: %s does not exist yet; the first server start fills it (a few seconds)'):format(path))
  end
end

local function check_client(client, bufnr)
  health.start('captionls: client')
  if not client then
    local others = vim.lsp.get_clients({ name = 'captionls' })
    local advice = {
      "vim.lsp.enable('captionls') in init.lua, then open a caption (foo.txt beside foo.png)",
      'run :checkhealth captionls from the caption buffer',
    }
    if #others > 0 then
      health.warn(
        ('captionls is running (client %d) but not attached to %s'):format(
          others[1].id,
          bufnr and vim.fn.bufname(bufnr) or 'the current buffer'
        ),
        advice
      )
    else
      health.warn('no captionls client is running', advice)
    end
    return
  end
  health.ok(('client %d attached to %s (root %s)'):format(client.id, vim.fn.bufname(bufnr), client.root_dir or '-'))
  health.ok('position encoding: ' .. client.offset_encoding)
end

local function check_completion(client, bufnr)
  health.start('captionls: completion')
  local completeopt = vim.split(vim.o.completeopt, ',')
  local wanted = vim.tbl_contains(completeopt, 'menuone')
    and (vim.tbl_contains(completeopt, 'noselect') or vim.tbl_contains(completeopt, 'noinsert'))
  if wanted then
    health.ok('completeopt=' .. vim.o.completeopt)
  else
    local problem = ': typing may insert the first tag offered, and a lone match shows no menu'
    health.warn('completeopt=' .. vim.o.completeopt .. problem, {
      'vim.opt.completeopt = { "menu", "menuone", "noinsert" } (or "noselect")',
    })
  end
  for _, plugin in ipairs({ 'blink.cmp', 'cmp' }) do
    if package.loaded[plugin] then
      health.info(plugin .. ' is loaded: it completes from captionls on its own')
    end
  end
  if client and bufnr and vim.bo[bufnr].omnifunc == 'v:lua.vim.lsp.omnifunc' then
    health.ok('omnifunc is vim.lsp.omnifunc: <C-x><C-o> completes tags')
  end
end

function M.check()
  local resolved = config()
  local executable = check_server(resolved)
  local bufnr = origin_buffer()
  local client = bufnr and vim.lsp.get_clients({ bufnr = bufnr, name = 'captionls' })[1] or nil
  check_vocabulary(resolved, executable, client)
  check_client(client, bufnr)
  check_completion(client, bufnr)
end

return M
