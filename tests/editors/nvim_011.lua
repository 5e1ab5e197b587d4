-- Neovim 0.11: the shipped editors/neovim/gil_lint.lua, exactly as a user would load it.
local root = os.getenv('GIL_LINT_ROOT')
package.path = root .. '/tests/editors/?.lua;' .. package.path
vim.cmd('filetype on')
dofile(root .. '/editors/neovim/gil_lint.lua')
vim.cmd('edit ' .. os.getenv('GIL_LINT_FILE'))
require('nvim_check').run(vim.api.nvim_get_current_buf())
