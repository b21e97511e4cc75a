--- The `customaction` command's session driver: a registration followed
-- until it ends (on `customaction.stream`), and a one-shot run, each with
-- `--count`, `--timeout` and Ctrl-C, and each ending in a report.
--
-- Both take any object with the issuer's methods (`register`,
-- `unregister`, `run`), so the simulated issuer and a loaded library's
-- custom actions share them. Waits deliver nothing themselves, so that a
-- Ctrl-C during one interrupts this code rather than a handler; one that
-- does land in a handler reaches its `on_error`, which stops the session
-- the same way.
--
-- @module customaction.cli.session

local ca = require "customaction"
local stream = require "customaction.stream"
local args = require "customaction.cli.args"
local errors = require "customaction.cli.errors"
local show = require "customaction.cli.show"

local EXIT = errors.EXIT
local M = {}

local decode = { arg = "MODE", check = args.choice("auto", "raw", "utf16", "hex", "records"),
                 help = "how responses print: auto (default), raw, utf16, hex, records" }

--- The options of a stream (`sim`, `stream`).
M.stream_options = {
  count = { arg = "N", check = args.count, help = "stop after N responses" },
  timeout = { arg = "S", check = args.number("seconds >= 0", 0),
              help = "stop after S seconds (fractions allowed)" },
  decode = decode,
  progress = { help = "a live progress line instead of one line per response" },
  ["no-progress"] = { help = "one line per response even on a terminal" },
}

--- The options of a one-shot run (`sim --once`, `run`).
M.run_options = {
  decode = decode,
  timeout = { arg = "S", check = args.number("seconds >= 0", 0),
              help = "wait S seconds for the response (default 30)" },
}

-- Seconds from start to now (both ca.clock() readings), to the millisecond.
local function seconds_since(start, now)
  return math.floor((now - start) * 1000 + 0.5) / 1000
end

-- Waits up to 50 ms, never past `deadline` (a ca.clock() reading, or nil
-- for none), delivering nothing; false once the deadline has passed.
local function pace(deadline)
  local s = 0.05
  if deadline then
    local left = deadline - ca.clock()
    if left <= 0 then return false end
    s = math.min(s, left)
  end
  ca.wait(s, 0)
  return true
end

-- The on_error of the session's callback: a Ctrl-C that landed in the
-- handler stops the session (its response is lost); anything else is
-- the handler's own error.
local function on_error(st)
  return function(message)
    if errors.classify(message).kind ~= "interrupted" then error(message, 0) end
    st.stop, st.lost = st.stop or "interrupt", st.lost + 1
  end
end

-- Runs fn(); a Ctrl-C or an output error it raises stops the session
-- (st.stop), anything else is raised again once `cleanup` ran.
local function guarded(st, fn, cleanup)
  local ok, err = pcall(fn)
  if ok then return end
  local e = errors.classify(err)
  if e.kind == "interrupted" then st.stop = "interrupt"
  elseif e.kind == "output" then st.stop, st.error = "output", e
  else cleanup(); error(e, 0) end
end

-- Prints responses until the final one, --count, or a stop.
local function follow(s, st, opts, printer)
  while true do
    local status, response, final = s:next()
    if status == nil then return end
    if st.stop then       -- queued before a Ctrl-C that hit a handler
      if final then st.final = status else st.late = st.late + 1 end
    else
      st.n, st.bytes = st.n + 1, st.bytes + (response and #response or 0)
      printer(st.n, seconds_since(st.started, ca.clock()), status, response, final)
      if final then st.final = status; return end
      if opts.count and st.n >= opts.count then st.stop = "count"; return end
    end
  end
end

-- An output error ends the command once the session is over; its message
-- says what became of the registration, since the report cannot be shown.
local function output_failed(st, action)
  local e = st.error
  if st.unregister then
    e.message = ("%s; %s unregistered: %s"):format(e.message, action, tostring(st.unregister))
  end
  error(e, 0)
end

--- Registers for `action` and prints every response until the final one,
-- `--count`, `--timeout`, Ctrl-C or an output error; then unregisters,
-- collects the final response and prints the report.
-- @param ctx the command's output
-- @param owner the provider (`register`, `unregister`)
-- @string action
-- @string[opt] arg
-- @tparam table opts `count`, `timeout`, `decode`
-- @treturn int the exit status
function M.stream(ctx, owner, action, arg, opts)
  local st = { n = 0, bytes = 0, late = 0, lost = 0, started = ca.clock() }
  local deadline = opts.timeout and st.started + opts.timeout
  local printer = show.printer(ctx, action, opts.decode or "auto")
  local s, refused = stream.start(owner, action, arg or "", {
    wait = function()
      if st.stop then return false end
      if not pace(deadline) then st.stop = "timeout"; return false end
      return true
    end,
    on_error = on_error(st),
  })
  st.result = s and s.registered or refused
  if s then
    guarded(st, function() follow(s, st, opts, printer) end, function() s:close() end)
    if not st.final then st.unregister = s:stop() end
    for status, _, final in s.next, s do     -- what came after the stop
      if final then st.final = status else st.late = st.late + 1 end
    end
    s:close()
  end
  st.elapsed = seconds_since(st.started, ca.clock())
  if st.error then output_failed(st, action) end
  show.stream_report(ctx, action, st, opts)
  if st.stop == "interrupt" then return EXIT.interrupted end
  local failed = st.result:failed() or (st.unregister and st.unregister:failed())
    or (st.final and not st.stop and st.final:failed()) or (not st.final and not st.stop)
  return failed and EXIT.failed or EXIT.ok
end

--- Runs `action` once (RunCustomAction), waits for its one response (up
-- to `--timeout` seconds, 30 by default) and prints it.
-- @param ctx the command's output
-- @param owner the provider (`run`)
-- @string action
-- @string[opt] arg
-- @tparam table opts `timeout`, `decode`
-- @treturn int the exit status
function M.run(ctx, owner, action, arg, opts)
  local st = { lost = 0, started = ca.clock() }
  local cb = ca.callback(function(status, response)
    st.got = { status, response, at = ca.clock() }
  end, { name = action, on_error = on_error(st) })
  local result = owner:run(action, arg or "", cb)
  if result:succeeded() then
    local deadline = st.started + (opts.timeout or 30)
    guarded(st, function()
      while not st.got and not st.stop and pace(deadline) do ca.dispatch() end
    end, function() cb:close() end)
  end
  cb:close()
  if st.error then error(st.error, 0) end
  local got = st.got
  show.one_shot(ctx, action, result, got, seconds_since(st.started, got and got.at or ca.clock()),
                opts.decode or "auto")
  if st.stop == "interrupt" then return EXIT.interrupted end
  if result:failed() or not got or got[1]:failed() then return EXIT.failed end
  return EXIT.ok
end

return M
