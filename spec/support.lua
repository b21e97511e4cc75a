-- Helpers shared by the specs. Reading an issuer's log is what
-- customaction.busted offers users too, so the specs use that code.
local busted_helpers = require "customaction.busted"

local M = {}

--- The log as "op action[ STATUS[ final]]" strings.
M.sequence = busted_helpers.protocol

--- AddRefs minus Releases per action.
M.balance = busted_helpers.balance

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
