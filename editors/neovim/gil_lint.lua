-- gil-lint for Neovim >= 0.11: copy into your config (e.g. ~/.config/nvim/lua/gil_lint.lua
-- and `require('gil_lint')` from init.lua), or paste it into init.lua.
-- Settings are described in README.md next to this file.
vim.lsp.config('gil_lint', {
  cmd = { 'gil-lint', 'server' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  -- read at start; put the same table under `settings` to change it while running
  init_options = {
    gilLint = {
      select = nil,        -- e.g. { 'GIL2', 'GIL4' }: replaces [tool.gil-lint] select
      ignore = nil,        -- e.g. { 'GIL404' }: added to [tool.gil-lint] ignore
      unsafeFixes = true,  -- offer unsafe quick fixes (marked "(unsafe)")
      targetGil = 'auto',  -- 'auto' | 'enabled' | 'disabled' (free-threaded Python)
    },
  },
})
vim.lsp.enable('gil_lint')
