-- What happens when a handler raises: nothing unwinds into the native
-- caller; the error reaches on_error or stderr; a documented HRESULT returns.
local ca = require "customaction"
local peer = require "nativepeer"

local support = require "support"

local function run_lua(code)
  -- a child interpreter, so that what goes to stderr can be read
  local out = support.child_code(code)
  return out
end

describe("a handler that raises", function()
  it("returns DISP_E_EXCEPTION to the caller", function()
    local cb = ca.callback(function() error("boom") end, { on_error = function() end })
    assert.equal(ca.DISP_E_EXCEPTION, cb:report(0, "x"))
  end)

  it("returns DISP_E_EXCEPTION to a native caller too, which keeps running", function()
    local cb = ca.callback(function() error("boom") end, { on_error = function() end })
    assert.equal(ca.DISP_E_EXCEPTION.value, peer.report(cb:interface(), 0, "x", false))
    assert.equal(ca.DISP_E_EXCEPTION.value, peer.report_v1(cb:interface("v1"), 0, "x"))
  end)

  it("passes on_error the message with a traceback, and the callback", function()
    local got_msg, got_cb
    local cb
    cb = ca.callback(function() error("boom") end, {
      on_error = function(msg, which) got_msg, got_cb = msg, which end,
    })
    cb:report(0, "x")
    assert.matches("errors_spec.lua:%d+: boom", got_msg)
    assert.matches("stack traceback:", got_msg)
    assert.equal(cb, got_cb)
    assert.equal(1, cb:stats().errors)
  end)

  it("still reaches on_error when the handler closed its own callback first", function()
    local got_msg, got_cb
    local cb
    cb = ca.callback(function() cb:close() error("after close") end, {
      on_error = function(msg, which) got_msg, got_cb = msg, which end,
    })
    assert.equal(ca.DISP_E_EXCEPTION, cb:report(0, "x"))
    assert.matches("after close", got_msg)
    assert.equal(cb, got_cb)
  end)

  it("describes error values that are not strings", function()
    local msgs = {}
    local on_error = function(m) msgs[#msgs + 1] = m end
    ca.callback(function() error({}) end, { on_error = on_error }):report(0, "")
    ca.callback(function() error(nil) end, { on_error = on_error }):report(0, "")
    ca.callback(function()
      error(setmetatable({}, { __tostring = function() return "custom" end }))
    end, { on_error = on_error }):report(0, "")
    assert.matches("^%(error object is a table value%)", msgs[1])
    assert.matches("^%(error object is a nil value%)", msgs[2])
    assert.matches("^custom", msgs[3])
  end)

  it("by default writes the callback's name and the traceback to stderr", function()
    local out = run_lua([[
      local ca = require "customaction"
      local cb = ca.callback(function() error("kaput") end, { name = "noisy" })
      print("returned " .. tostring(cb:report(0, "x")))
    ]])
    assert.matches("customaction: callback 'noisy': .*kaput", out)
    assert.matches("stack traceback:", out)
    assert.matches("returned DISP_E_EXCEPTION", out)
  end)

  it("contains an on_error that raises too, reporting both on stderr", function()
    local out = run_lua([[
      local ca = require "customaction"
      local cb = ca.callback(function() error("first") end,
        { name = "twice", on_error = function() error("second") end })
      print("returned " .. tostring(cb:report(0, "x")))
    ]])
    assert.matches("on_error of callback 'twice' raised: .*second", out)
    assert.matches("while handling: .*first", out)
    assert.matches("returned DISP_E_EXCEPTION", out)
  end)

  it("leaves the Lua stack as it found it", function()
    local cb = ca.callback(function() error("x") end, { on_error = function() end })
    for _ = 1, 1000 do cb:report(0, "x") end
    assert.equal(1000, cb:stats().errors)
  end)

  it("may yield only where Lua allows: yielding from a handler is an error", function()
    local msg
    local cb = ca.callback(function() coroutine.yield() end,
      { on_error = function(m) msg = m end })
    local co = coroutine.wrap(function() return cb:report(0, "x") end)
    assert.equal(ca.DISP_E_EXCEPTION, co())
    assert.matches("attempt to yield", msg)
  end)
end)
