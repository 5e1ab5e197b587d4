-- Shared by both Neovim versions: wait for the GIL201 diagnostic, ask for code actions at
-- it, apply the quick fix, check the buffer. Exits 0 ("OK") or 1 with "FAIL: <why>".
-- Positions go through the client's negotiated offset encoding (UTF-8 on 0.11, UTF-16 on
-- 0.7): the finding's line has non-ASCII text before it.
local M = {}

local function fail(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  vim.cmd('cquit 1')
end

local function client_of(buf)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf })
    or vim.lsp.buf_get_clients(buf)
  for _, c in pairs(clients) do
    return c
  end
end

function M.run(buf)
  local ok = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  if not ok then
    return fail('no diagnostics within 20 s (is the server running? :LspInfo / :checkhealth)')
  end
  local d = vim.diagnostic.get(buf)[1]
  if not d.message:find('time.sleep', 1, true) then
    return fail('unexpected diagnostic: ' .. d.message)
  end
  local line = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
  if line:sub(d.col + 1, d.col + 10) ~= 'time.sleep' then
    return fail(('diagnostic at byte %d of %q: wrong column'):format(d.col, line))
  end
  local client = client_of(buf)
  if not client then
    return fail('no LSP client attached')
  end
  local enc = client.offset_encoding or 'utf-16'
  -- rebuilt from lnum/col (0.7 keeps only extra fields in user_data); no diagnostics in
  -- the context: the server finds the findings itself
  local params = vim.lsp.util.make_given_range_params(
    { d.lnum + 1, d.col }, { d.lnum + 1, d.col }, buf, enc
  )
  params.context = { diagnostics = {} }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000)
  local action
  for _, response in pairs(responses or {}) do
    for _, a in ipairs(response.result or {}) do
      if a.title:find('asyncio.sleep', 1, true) then
        action = a
      end
    end
  end
  if not action then
    return fail('no GIL201 quick fix offered: ' .. vim.inspect(responses))
  end
  vim.lsp.util.apply_workspace_edit(action.edit, enc)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  if not text:find("x = '🐍é'; await asyncio.sleep(1)", 1, true) then
    return fail('not fixed: ' .. text)
  end
  if not text:find('import asyncio', 1, true) then
    return fail('import missing: ' .. text)
  end
  io.stderr:write('OK (' .. enc .. ')\n')
  vim.cmd('qall!')
end

return M
