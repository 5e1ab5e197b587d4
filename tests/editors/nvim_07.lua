-- Neovim 0.7 (Debian 12): vim.lsp.start_client + buf_attach_client.
local root = os.getenv('GIL_LINT_ROOT')
package.path = root .. '/tests/editors/?.lua;' .. package.path
local file = os.getenv('GIL_LINT_FILE')
local client_id = vim.lsp.start_client({
  cmd = { os.getenv('GIL_LINT_PYTHON'), '-m', 'gil_lint', 'server' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
  init_options = { gilLint = { unsafeFixes = true } },
})
vim.cmd('edit ' .. file)
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
require('nvim_check').run(buf)
