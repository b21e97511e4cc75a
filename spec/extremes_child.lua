-- Run by spec/extremes_spec.lua in a child interpreter under a time limit:
-- feeds one integer parameter of the Lua API one value and prints
-- "accepted" or "refused: <message>". Arguments: the case's name and the
-- value as a Lua expression.
local ca = require "customaction"
local name, expr = arg[1], arg[2]
local V = assert((loadstring or load)("return " .. expr))()
local cb = ca.callback(function() end, { reuse = true })

local function virtual() return ca.issuer({ clock = "virtual", builtins = false }) end

-- Defines A with the scenario, registers it and lets time run, so that a
-- value that is accepted is also used.
local function run(scenario)
  local pm = virtual()
  pm:define("A", scenario)
  pm:register("A", "", cb)
  pm:advance(1000)
  for _ = 1, 3 do pm:advance() end
  pm:close()
end

-- the sample built with the module the child loads (a checker's own
-- sample, CA_SAMPLEPM, needs its instrumented host)
local SAMPLE = (os.getenv("CA_BUILD") or "build") .. "/pm/samplepm."
  .. (package.config:sub(1, 1) == "\\" and "dll" or "so")   -- Windows: a DLL
local function load(opts) ca.load(SAMPLE, opts):close() end

local cases = {
  threads = function() ca.issuer({ threads = V }):close() end,
  log_limit = function() virtual({}):close(); ca.issuer({ clock = "virtual", log_limit = V }):close() end,
  every = function() run({ every = V, count = 3 }) end,
  count = function() run({ every = 1, count = V }) end,
  delay = function() run({ delay = V }) end,
  at = function() run({ every = 1, count = 3, faults = { { "null_buffer", at = V } } }) end,
  size = function() virtual():define("A", { faults = { { "oversized", size = V } } }) end,
  ms = function() run({ every = 10, count = 3, faults = { { "jitter", ms = V } } }) end,
  seed = function() run({ every = 10, count = 3, faults = { { "jitter", seed = V } } }) end,
  status = function() run({ status = V }) end,
  advance = function()
    local pm = virtual()
    pm:define("A", { every = 10, count = 3 })
    pm:advance(5)   -- time has moved: the jump starts from 5
    pm:register("A", "", cb)
    pm:advance(V)
    if pm:now() ~= 5 + V then error(("the clock is at %d, not 5 + %d"):format(pm:now(), V)) end
    pm:advance(10)
    pm:close()
  end,
  max_queued = function() ca.configure({ max_queued = V }) end,
  max_queued_bytes = function() ca.configure({ max_queued_bytes = V }) end,
  block_ms = function() ca.configure({ block_ms = V }) end,
  max_response = function() ca.callback(function() end, { max_response = V }):close() end,
  report_size = function() cb:report(ca.S_OK, nil, false, V) end,
  report_v1_size = function() cb:report_v1(ca.S_OK, nil, V) end,
  report_status = function() cb:report(V, "x") end,
  hresult = function() ca.hresult(V) end,
  from_win32 = function() ca.hresult.from_win32(V) end,
  dispatch = function() ca.dispatch(V) end,
  wait_max = function() ca.wait(0, V) end,
  reader_bytes = function() ca.reader("abcd"):bytes(V) end,
  reader_utf16 = function() ca.reader("abcd"):utf16(V) end,
  reader_align = function() ca.reader("abcd"):align(V) end,
  writer_u8 = function() ca.writer():u8(V) end,
  writer_u16 = function() ca.writer():u16(V) end,
  writer_u32 = function() ca.writer():u32(V) end,
  writer_i32 = function() ca.writer():i32(V) end,
  load_setting = function() load({ settings = { IDLE_TIMEOUT = V } }) end,
  load_handle = function() load({ settings = { ANONYMOUS_USER_TOKEN = V } }) end,
  load_version = function() load({ version = { V, 0 } }) end,
  load_actions2_id = function() load({ actions2_id = V }) end,
  load_log_limit = function() load({ log_limit = V }) end,
  custom_actions2 = function()
    local pm = ca.load(SAMPLE)
    pm:custom_actions2(V)
    pm:close()
  end,
  wait = function()
    -- something arrives from a worker at once, so an accepted timeout
    -- returns as soon as it does
    local pm = ca.issuer({ builtins = false })
    pm:define("A", { count = 1 })
    pm:register("A", "", cb)
    ca.wait(V)
    pm:close()
  end,
}

local ok, err = pcall(assert(cases[name], name))
io.write(ok and "accepted\n" or ("refused: " .. tostring(err) .. "\n"))
