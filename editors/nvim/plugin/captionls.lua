-- :CaptionImage opens the image that a caption describes (foo.txt -> foo.png, ...) with the
-- system viewer, because a caption is only half the story without its picture.
if vim.g.loaded_captionls_image then
  return
end
vim.g.loaded_captionls_image = true

-- The image extensions captionls treats as a caption's picture, in lookup order.
local image_extensions = { 'png', 'jpg', 'jpeg', 'webp', 'bmp', 'gif', 'avif', 'jxl' }

--- The image beside a caption file, or nil when there is none.
---@param caption_path string
---@return string?
local function image_for(caption_path)
  local stem = vim.fn.fnamemodify(caption_path, ':r')
  for _, extension in ipairs(image_extensions) do
    for _, candidate in ipairs({ stem .. '.' .. extension, stem .. '.' .. extension:upper() }) do
      if vim.uv.fs_stat(candidate) then
        return candidate
      end
    end
  end
  return nil
end

vim.api.nvim_create_user_command('CaptionImage', function()
  local caption_path = vim.api.nvim_buf_get_name(0)
  local image = caption_path ~= '' and image_for(caption_path) or nil
  if not image then
    vim.notify('captionls: no image beside ' .. vim.fn.fnamemodify(caption_path, ':~:.'), vim.log.levels.WARN)
    return
  end
  local _, err = vim.ui.open(image)
  if err then
    vim.notify('captionls: ' .. err, vim.log.levels.ERROR)
  end
end, { desc = 'Open the image beside this caption with the system viewer' })

-- :Captionls tags [QUERY] | add TAG [where QUERY] | remove TAG [where QUERY] | undo (lua/captionls/dataset.lua).
vim.api.nvim_create_user_command('Captionls', function(command)
  require('captionls.dataset').run(command.args)
end, {
  nargs = '+',
  complete = function(arg_lead, cmd_line)
    return require('captionls.dataset').complete(arg_lead, cmd_line)
  end,
  desc = "The dataset's tags in a picker, batch add/remove on a selection, undo of the dataset journal",
})
