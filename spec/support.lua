-- Helpers shared by the specs: reading an issuer's protocol log.
local M = {}

--- The log as "op action" strings, optionally only some ops.
function M.sequence(log, only)
  local out = {}
  for _, e in ipairs(log) do
    if not only or only[e.op] then
      local s = e.op .. " " .. e.action
      if e.op == "report" then
        s = s .. " " .. (e.status.name or ("0x%08X"):format(e.status.value))
          .. (e.final and " final" or "")
      end
      out[#out + 1] = s
    end
  end
  return out
end

--- AddRefs minus Releases per action.
function M.balance(log)
  local b = {}
  for _, e in ipairs(log) do
    if e.op == "addref" then b[e.action] = (b[e.action] or 0) + 1 end
    if e.op == "release" then b[e.action] = (b[e.action] or 0) - 1 end
  end
  return b
end

--- Is every action's count balanced?
function M.balanced(log)
  for _, v in pairs(M.balance(log)) do if v ~= 0 then return false end end
  return true
end

--- A callback that records what it gets.
function M.recorder(ca, opts)
  local got = {}
  local cb = ca.callback(function(status, response, final)
    got[#got + 1] = { status = status, response = response, final = final }
  end, opts)
  return cb, got
end

return M
