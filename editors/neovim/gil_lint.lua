-- gil-lint for Neovim >= 0.11: copy into your config (e.g. ~/.config/nvim/lua/gil_lint.lua
-- and `require('gil_lint')` from init.lua), or paste it into init.lua.
vim.lsp.config('gil_lint', {
  cmd = { 'gil-lint', 'server' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  -- settings the server reads (also accepted in workspace/didChangeConfiguration)
  init_options = {
    gilLint = {
      select = nil,        -- e.g. { 'GIL2', 'GIL4' }
      ignore = nil,        -- e.g. { 'GIL404' }
      unsafeFixes = true,  -- offer unsafe quick fixes (marked "(unsafe)")
      targetGil = 'auto',  -- 'auto' | 'enabled' | 'disabled' (free-threaded Python)
    },
  },
})
vim.lsp.enable('gil_lint')
