-- Every integer parameter of the Lua API at its extremes (docs/simulator.md,
-- "The integer rule"): each value is refused with an error naming the
-- parameter and its range, or accepted and used, and nothing hangs: each
-- case runs in a child interpreter under a time limit.
local support = require "support"

local MIN = "math.mininteger or -2^63"
local MAX = "math.maxinteger or 2^63"
local values = {
  MIN, "-1", "0", "1", "2147483647", "2147483648", "4294967296",
  "9007199254740992", MAX, "2^31", "2^53", "0/0", "1/0", "-1/0", "0.5",
}

local MS, COUNT = 1000000000000, 9007199254740992
local U32 = 4294967295
-- a HANDLE given as an integer must fit a pointer: 32 bits on x86 (string.
-- packsize("T"), size_t, is the pointer's size; Lua 5.1/5.2 run 64-bit here)
local HANDLE_MAX = string.packsize and string.packsize("T") == 4 and U32
  or math.maxinteger or 2^63 - 1024
-- case = { what the message names, min, max [, seconds] }
local params = {
  threads = { "'threads'", 1, 64 },
  log_limit = { "'log_limit'", 0, COUNT },
  every = { "'every'", 1, MS },
  count = { "'count'", 1, 10000000 },
  delay = { "'delay'", 0, MS },
  at = { "'at'", 1, 10000000 },
  size = { "'size'", 1, 2147483647 },
  ms = { "'ms'", 0, MS },
  -- any 64-bit integer: up to math.maxinteger, or before Lua 5.3 the
  -- largest double below 2^63
  seed = { "'seed'", -2^63, math.maxinteger or 2^63 - 1024 },
  status = { "'status' must be an HRESULT", -2147483648, U32 },
  advance = { "'ms'", 0, MS },
  max_queued = { "'max_queued'", 1, COUNT },
  max_queued_bytes = { "'max_queued_bytes'", 1, COUNT },
  block_ms = { "'block_ms'", 0, MS },
  max_response = { "'max_response'", 0, U32 },
  report_size = { "'size'", 0, U32 },
  report_v1_size = { "'size'", 0, U32 },
  report_status = { "an integer in -0x80000000..0xFFFFFFFF", -2147483648, U32 },
  hresult = { "an integer in -0x80000000..0xFFFFFFFF", -2147483648, U32 },
  from_win32 = { "an integer in -0x80000000..0xFFFFFFFF", -2147483648, U32 },
  dispatch = { "'max'", 0, COUNT },
  wait_max = { "'max'", 0, COUNT },
  wait = { "'timeout' must be a number of seconds in 0..1000000000", 0, 1000000000, true },
  -- in range, these may still fail for another reason (a short buffer):
  -- loose = an error that is not the range's
  reader_bytes = { "'count' must be an integer in 0..9007199254740992", 0, COUNT, loose = true },
  reader_utf16 = { "'character count' must be an integer in 0..9007199254740992", 0, COUNT, loose = true },
  reader_align = { "'alignment' must be an integer in 1..65536", 1, 65536 },
  writer_u8 = { "'u8' must be an integer in 0..255", 0, 255 },
  writer_u16 = { "'u16' must be an integer in 0..65535", 0, 65535 },
  writer_u32 = { "'u32' must be an integer in 0..4294967295", 0, U32 },
  writer_i32 = { "'i32' must be an integer in -2147483648..2147483647", -2147483648, 2147483647 },
  load_setting = { "'IDLE_TIMEOUT' must be an integer in 0..4294967295", 0, U32 },
  load_handle = { "'ANONYMOUS_USER_TOKEN' must be an integer in 0..", 0, HANDLE_MAX },
  load_version = { "'version[1]' must be an integer in 0..4294967295", 0, U32 },
  load_actions2_id = { "'actions2_id' must be an integer in 0..4294967295", 0, U32 },
  load_log_limit = { "'log_limit' must be an integer in 0..9007199254740992", 0, COUNT },
  custom_actions2 = { "'id' must be an integer in 0..4294967295", 0, U32 },
}

-- Should the value be accepted under the rule?
local function accepted(v, p)
  if v ~= v then return false end                         -- NaN
  if not p[4] and math.floor(v) ~= v then return false end   -- fractions
  return v >= p[2] and v <= p[3]
end

local names = {}
for name in pairs(params) do names[#names + 1] = name end
table.sort(names)

local SAMPLE = support.pm_library("samplepm")
local function has_sample()
  local f = io.open(SAMPLE)
  if f then f:close() end
  return f ~= nil
end

describe("integers at their extremes", function()
  for _, name in ipairs(names) do
    local p = params[name]
    it(name .. ": refused with its name and range, or accepted, never a hang", function()
      if (name:match("^load_") or name == "custom_actions2") and not has_sample() then
        pending("needs " .. SAMPLE .. " (make builds it)")
        return
      end
      for _, expr in ipairs(values) do
        local v = assert((loadstring or load)("return " .. expr))()
        local out, code = support.child({ "spec/extremes_child.lua", name, expr }, 10)
        local what = ("%s = %s"):format(name, expr)
        assert.equal(0, code, what .. ": " .. out)
        if accepted(v, p) and p.loose then
          assert.is_falsy(out:find(p[1], 1, true), what .. ": " .. out)
        elseif accepted(v, p) then
          assert.equal("accepted\n", out, what)
        else
          assert.matches("^refused: ", out, 1, false, what)
          assert.is_truthy(out:find(p[1], 1, true), what .. ": " .. out)
        end
      end
    end)
  end
end)
