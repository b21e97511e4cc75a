--- Streams: a registration read as a loop, for every provider.
--
-- `pm:stream(name, args)` on the simulated issuer, on a wrapped native
-- provider (`ca.actions`) and on a Lua provider is `open`: it registers a
-- private callback and iterates over its responses. `start` gives the
-- same stream as an object, for a driver that needs the registration's
-- HRESULT, its own waits and an orderly stop (the `customaction` command).
--
-- @module customaction.stream

local core = require "customaction.core"

local M = {}

-- What stream returns fourth: closing it ends the stream's registration
-- and lets go of its callback. Lua 5.4 closes it when a generic for is
-- left; on 5.1-5.3 the for loop ignores it, so keep it and call close.
local Stream = { __name = "customaction.stream" }
Stream.__index = Stream

--- Ends the stream: unregisters the action unless its final response came,
-- `stop` already did, or the registration is no longer active, and closes
-- the stream's callback. Closing twice does nothing.
function Stream:close()
  if self.closed then return end
  self.closed = true
  if not self.finished and not self.stopped and self.active(self) then
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

--- The next response: its status, bytes and final flag, or nil once the
-- final response was taken, nothing more will come (the `wait` hook said
-- so, or the provider let go of the callback with nothing queued), or the
-- stream was stopped and what arrived before is taken.
-- @treturn ?hresult status
-- @treturn ?string response
-- @treturn ?boolean final
function Stream:next()
  while true do
    if self.head <= self.tail then
      local e = self.queue[self.head]
      self.queue[self.head], self.head = nil, self.head + 1
      if e[3] then self.ended = true end
      return e[1], e[2], e[3]
    end
    if self.ended or self.closed or self.stopped then return nil end
    local more = true
    if self.wait then more = self.wait() else core.wait(0.05) end
    core.dispatch()            -- reports sent from another thread
    if self.head > self.tail and (not more or
        (core.pending() == 0 and not self.active(self))) then
      return nil               -- nothing more will come
    end
  end
end

--- Stops the stream, keeping what arrived: unregisters the action unless
-- its final response came or the registration is no longer active, then
-- waits up to `seconds` for the final response (the one an unregistration
-- brings). Later `next` calls return the responses that arrived, then nil.
-- Stopping twice does nothing more.
-- @number[opt=2] seconds how long to wait for the final response
-- @treturn ?hresult what the unregistration returned, or nil when none was needed
function Stream:stop(seconds)
  if self.stopped or self.closed then return self.unregistered end
  self.stopped = true
  if self.finished or not self.active(self) then return nil end
  self.unregistered = self.owner:unregister(self.name)
  if self.unregistered:succeeded() then
    local deadline = core.clock() + (seconds or 2)
    while not self.finished and (core.pending() > 0 or self.active(self)) do
      local left = deadline - core.clock()
      if left <= 0 then break end
      core.wait(math.min(left, 0.05))
    end
  end
  return self.unregistered
end

--- Registers a private callback with `owner` for a stream read with
-- `next`; the caller stops and closes it.
-- @param owner an object with `register(name, args, cb)` and `unregister(name)`
-- @string name action name
-- @string[opt] args action argument
-- @tparam[opt] table hooks `wait()`: called when no response is at hand,
-- returns false when nothing more will come (a virtual clock advances
-- here; by default `ca.wait(0.05)`); `active(stream)`: may the
-- registration still report (by default: the provider holds the callback);
-- `on_error(message)`: the callback's `on_error` (an error raised while a
-- response is queued, such as an interrupt)
-- @treturn[1] stream (its `registered` field: what the registration returned)
-- @treturn[2] nil
-- @treturn[2] hresult what the registration returned
function M.start(owner, name, args, hooks)
  hooks = hooks or {}
  local stream = setmetatable({ owner = owner, name = tostring(name),
                                active = hooks.active or holds_callback, wait = hooks.wait,
                                queue = {}, head = 1, tail = 0, finished = false,
                                ended = false, stopped = false, closed = false }, Stream)
  stream.cb = core.callback(function(status, response, final)
    stream.tail = stream.tail + 1
    stream.queue[stream.tail] = { status, response, final }
    if final then stream.finished = true end
  end, { name = "stream " .. tostring(name), on_error = hooks.on_error })
  local hr = owner:register(name, args, stream.cb)
  if hr:failed() then
    stream.closed = true
    stream.cb:close()
    return nil, hr
  end
  stream.registered = hr
  return stream
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
-- @tparam[opt] table hooks as `start` takes them
-- @return iterator, nil, nil, and the stream (a closing value with `close`)
function M.open(owner, name, args, hooks)
  -- the surfaces' stream methods call this without a tail call, so that
  -- level 3 is their caller on every Lua version
  core.check_text(name, 1, "stream", 3)
  core.check_text(args, 2, "stream", 3, true)
  local stream, hr = M.start(owner, name, args, hooks)
  if not stream then
    error(("stream: registering %q failed: %s"):format(name, tostring(hr)), 3)
  end
  local function iter()
    if stream.closed then return nil end
    local status, response, final = stream:next()
    if status == nil then stream:close() end
    return status, response, final
  end
  return iter, nil, nil, stream
end

return M
