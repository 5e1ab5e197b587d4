-- gil-lint with nvim-lspconfig (Neovim 0.8 - 0.10): register it as a custom server.
local configs = require('lspconfig.configs')
local util = require('lspconfig.util')

if not configs.gil_lint then
  configs.gil_lint = {
    default_config = {
      cmd = { 'gil-lint', 'server' },
      filetypes = { 'python' },
      root_dir = util.root_pattern('pyproject.toml', 'setup.cfg', 'setup.py', '.git'),
      init_options = { gilLint = { unsafeFixes = true, targetGil = 'auto' } },
    },
  }
end

require('lspconfig').gil_lint.setup({})
