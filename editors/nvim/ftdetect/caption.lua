-- `*.caption` files are captions too (plain `.txt` ones keep the `text` filetype).
vim.filetype.add({ extension = { caption = 'caption' } })
