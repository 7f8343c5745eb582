-- :CaptionImage in a real Neovim: run by editors/test with editors/nvim on 'runtimepath', an `xdg-open` on
-- PATH that records what it was asked to open in $CAPTIONLS_OPENED, and a dataset in $CAPTIONLS_DATASET.
local dataset = assert(os.getenv('CAPTIONLS_DATASET'))
local opened = assert(os.getenv('CAPTIONLS_OPENED'))
local failures = 0

local function check(what, ok, detail)
  if ok then
    print('ok: ' .. what)
  else
    failures = failures + 1
    print('FAILED: ' .. what .. (detail and (' (' .. detail .. ')') or ''))
  end
end

local function read(path)
  local file = io.open(path, 'r')
  if not file then
    return nil
  end
  local text = file:read('*a')
  file:close()
  return text
end

-- A caption whose image has an upper-case extension and a name with spaces and CJK.
vim.cmd.edit(vim.fn.fnameescape(dataset .. '/少女 01.txt'))
vim.cmd('CaptionImage')
local seen = vim.wait(10000, function()
  return read(opened) ~= nil
end, 50)
check('the system viewer opens the image beside the caption', seen and vim.trim(read(opened)) == dataset .. '/少女 01.PNG', read(opened))

-- A text file with no image: a warning, and no viewer.
os.remove(opened)
local warnings = {}
vim.notify = function(message, level)
  table.insert(warnings, { message = message, level = level })
end
vim.cmd.edit(vim.fn.fnameescape(dataset .. '/README.txt'))
vim.cmd('CaptionImage')
vim.wait(500)
check('no image: a warning', #warnings == 1 and warnings[1].level == vim.log.levels.WARN, vim.inspect(warnings))
check('no image: no viewer', read(opened) == nil)

vim.cmd(failures == 0 and 'qa!' or 'cq!')
