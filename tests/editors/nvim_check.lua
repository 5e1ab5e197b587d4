-- Shared by both Neovim versions: wait for the GIL201 diagnostic, apply its quick fix,
-- check the buffer. Exits 0 on success, 1 with a message on failure.
local M = {}

local function fail(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

function M.run(buf)
  local ok = vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  if not ok then return fail('no diagnostics within 20 s') end
  local d = vim.diagnostic.get(buf)[1]
  if not d.message:find('time.sleep', 1, true) then return fail('unexpected: ' .. d.message) end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    -- rebuilt from lnum/col: sending the stored diagnostic back is not portable (0.7)
    range = { start = { line = d.lnum, character = d.col },
              ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col } },
    context = { diagnostics = {} },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000)
  local action
  for _, response in pairs(responses or {}) do
    for _, a in ipairs(response.result or {}) do
      if a.title:find('asyncio.sleep', 1, true) then action = a end
    end
  end
  if not action then return fail('no quick fix offered') end
  vim.lsp.util.apply_workspace_edit(action.edit, 'utf-16')
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  if not text:find('await asyncio.sleep(1)', 1, true) then return fail('not fixed: ' .. text) end
  if not text:find('import asyncio', 1, true) then return fail('import missing: ' .. text) end
  io.stderr:write('OK\n')
  vim.cmd('qall!')
end

return M
