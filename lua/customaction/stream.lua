--- Streams: a registration read as a loop, for every provider.
--
-- `pm:stream(name, args)` on the simulated issuer and on a wrapped native
-- provider (`ca.actions`) is this one function: it registers a private
-- callback and iterates over its responses.
--
-- @module customaction.stream

local core = require "customaction.core"

local M = {}

-- What stream returns fourth: closing it ends the stream's registration
-- and lets go of its callback. Lua 5.4 closes it when a generic for is
-- left; on 5.1-5.3 the for loop ignores it, so keep it and call close.
local Stream = { __name = "customaction.stream" }
Stream.__index = Stream

--- Ends the stream: unregisters the action unless its final response came
-- or the registration is no longer active, and closes the stream's
-- callback. Closing twice does nothing.
function Stream:close()
  if self.closed then return end
  self.closed = true
  if not self.finished and self.active(self) then
    self.owner:unregister(self.name)
  end
  self.cb:close()
end

-- By default a registration is active while the provider holds the
-- stream's callback.
local function holds_callback(stream)
  return stream.cb:stats().refs > 1
end

Stream.__close = Stream.close

function Stream:__tostring()
  return ("customaction.stream '%s' (%s)"):format(self.name,
    self.closed and "closed" or "open")
end

--- Registers a private callback with `owner` and iterates over its
-- responses: `for status, response, final in M.open(...) do ... end`.
-- The loop ends after the final response, or once nothing more can come:
-- the provider let go of the callback and nothing is queued. Leaving the
-- loop early unregisters the action (to-be-closed on 5.4; elsewhere close
-- the fourth value).
-- @param owner an object with `register(name, args, cb)` and `unregister(name)`
-- @string name action name
-- @string[opt] args action argument
-- @tparam[opt] table hooks `wait()`: called when no response is at hand,
-- returns false when nothing more will come (a virtual clock advances
-- here; by default `ca.wait(0.05)`); `active(stream)`: may the
-- registration still report (by default: the provider holds the callback)
-- @return iterator, nil, nil, and the stream (a closing value with `close`)
function M.open(owner, name, args, hooks)
  local queue, head, tail = {}, 1, 0
  local wait = hooks and hooks.wait
  local stream = setmetatable({ owner = owner, name = tostring(name),
                                active = hooks and hooks.active or holds_callback,
                                finished = false, closed = false }, Stream)
  local ended = false
  local cb = core.callback(function(status, response, final)
    tail = tail + 1
    queue[tail] = { status, response, final }
    if final then stream.finished = true end
  end, { name = "stream " .. tostring(name) })
  stream.cb = cb
  local hr = owner:register(name, args, cb)
  if hr:failed() then
    cb:close()
    error(("stream: registering %q failed: %s"):format(name, tostring(hr)), 3)
  end
  local function pull()
    while true do
      if head <= tail then
        local e = queue[head]
        queue[head], head = nil, head + 1
        if e[3] then ended = true end
        return e[1], e[2], e[3]
      end
      if ended then return nil end
      local more = true
      if wait then more = wait() else core.wait(0.05) end
      core.dispatch()          -- reports sent from another thread
      if head > tail and (not more or
          (core.pending() == 0 and not stream.active(stream))) then
        return nil             -- nothing more will come
      end
    end
  end
  local function iter()
    if stream.closed then return nil end
    local status, response, final = pull()
    if status == nil then stream:close() end
    return status, response, final
  end
  return iter, nil, nil, stream
end

return M
