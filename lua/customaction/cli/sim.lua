--- The `customaction sim` command: the simulated protocol manager.
--
-- @module customaction.cli.sim

local ca = require "customaction"
local args = require "customaction.cli.args"
local session = require "customaction.cli.session"

return {
  {
    name = "sim",
    synopsis = "sim [options] ACTION [ARG]",
    summary = "run an action of the simulated protocol manager",
    operands = { "ACTION", "ARG" },
    min = 1,
    json = { "responses" },
    options = args.merge(session.stream_options,
      { once = { help = "one RunCustomAction instead of a registration" } }),
    help = [[
Registers for ACTION with the simulated protocol manager
(RegisterCustomActionCallback) and prints each response with the seconds
since the registration, until the final response, --count responses,
--timeout seconds or Ctrl-C; then unregisters and prints a report. On a
terminal the responses update one progress line. With --once, runs ACTION
once (RunCustomAction) and prints its response.

Actions: Counters (50 counters, 100 ms apart), GetRequests (a request
listing, UTF-16), Echo (ARG back, UTF-16), Fail (fails with
HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE)).]],
    run = function(ctx, opts, argv)
      local pm = ca.issuer({ threads = 1, log = false })
      local drive = opts.once and session.run or session.stream
      local ok, code = pcall(drive, ctx, pm, argv[1], argv[2], opts)
      pm:close()
      if not ok then error(code, 0) end
      return code
    end,
  },
}
