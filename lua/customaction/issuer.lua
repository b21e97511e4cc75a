--- The simulated issuer's Lua side: built-in demo actions and `stream`.
--
-- `ca.issuer(opts)` makes a simulated protocol manager (see README.md,
-- "The simulated issuer"); this file adds what is easier in Lua.
--
-- @module customaction.issuer

local core = require "customaction.core"

local M = {}

--- The actions every new issuer knows, unless made with `builtins = false`.
-- @table builtins
M.builtins = {
  --- a stream of counters, one every 100 ms, 50 in all
  Counters = { every = 100, count = 50, format = "requests=%d" },
  --- a one-shot request listing, as UTF-16 text the way Windows components send it
  GetRequests = {
    encoding = "utf16",
    payload = "GET /index.htm 200 12ms\nGET /api/items 200 3ms\n" ..
              "POST /login 302 25ms\nGET /missing 404 1ms\n",
  },
  --- the action's argument sent back, as UTF-16
  Echo = { echo = true, encoding = "utf16" },
  --- a one-shot action that fails
  Fail = { status = "HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE",
           payload = "the service is not running" },
}

--- Makes a simulated issuer.
-- @tparam[opt] table opts `threads` (1..64 worker threads, real time; the
-- default is 1), `clock = "virtual"` (deterministic, on the caller's thread),
-- `log` (default true), `log_limit` (default 1 000 000 entries),
-- `builtins` (default true: define `M.builtins`)
-- @treturn issuer
function M.new(opts)
  local builtins = true
  if type(opts) == "table" and opts.builtins ~= nil then
    builtins = opts.builtins
    local copy = {}
    for k, v in pairs(opts) do if k ~= "builtins" then copy[k] = v end end
    opts = copy
  end
  local pm = core.issuer(opts)
  if builtins then
    for name, scenario in pairs(M.builtins) do pm:define(name, scenario) end
  end
  return pm
end

local methods = core.issuer_methods

--- Registers a private callback and iterates over its responses.
-- `for status, response, final in pm:stream(name, args) do ... end`
-- ends after the final response. Leaving the loop early (break, error,
-- return) unregisters the action: the fourth value is to-be-closed.
-- On a virtual clock the iterator advances time by itself; in real time
-- it waits for reports with `ca.wait`.
-- @string name action name
-- @string[opt] args action argument
-- @return iterator, nil, nil, closing value
function methods.stream(pm, name, args)
  local queue, head, tail = {}, 1, 0
  local finished, ended = false, false
  local cb = core.callback(function(status, response, final)
    tail = tail + 1
    queue[tail] = { status, response, final }
    if final then finished = true end
  end, { name = "stream " .. tostring(name) })
  local hr = pm:register(name, args, cb)
  if hr:failed() then
    cb:close()
    error(("stream: registering %q failed: %s"):format(name, tostring(hr)), 2)
  end
  local virtual = pm:is_virtual()
  local function iter()
    while true do
      if head <= tail then
        local e = queue[head]
        queue[head], head = nil, head + 1
        if e[3] then ended = true end
        return e[1], e[2], e[3]
      end
      if ended then return nil end
      if virtual then
        if pm:advance() == 0 then
          core.dispatch()       -- reports a fault sent from another thread
          if head > tail then return nil end   -- nothing more will come
        end
      else
        core.wait(0.05)
        if head > tail and not pm:active(name) and core.pending() == 0 then
          return nil            -- ended without a final report
        end
      end
    end
  end
  local closer = setmetatable({}, { __close = function()
    if not finished and pm:active(name) then pm:unregister(name) end
    cb:close()
  end })
  return iter, nil, nil, closer
end

return M
