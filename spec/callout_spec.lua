-- The reference rule (docs/reliability.md): every call from the module
-- into native code holds a reference on the object it calls, and on the
-- module's own objects the call may reach, for the call's duration, and
-- re-checks the object's state afterwards before using or caching
-- anything. tests/pm/minipm.c's GetProtocolManagerFailing calls
-- FailWorkerProcess inside GetPmInterface and GetCustomInterface and then
-- goes on using itself; on_fail closes the library from inside that call.
local ca = require "customaction"
local support = require "support"

local MINI = support.pm_library("minipm", "CA_MINIPM")

-- A library whose on_fail closes it; fails counts the on_fail calls.
local function closing_lib()
  local state = { fails = 0 }
  state.lib = ca.load(MINI, {
    init = "GetProtocolManagerFailing",
    on_fail = function(reason)
      state.fails = state.fails + 1
      state.reason = reason
      state.lib:close()
    end,
  })
  return state
end

describe("a library closed from inside a call into it", function()
  it("custom_actions() answers nil, RPC_E_DISCONNECTED and frees nothing in use", function()
    local st = closing_lib()
    local acts, hr = st.lib:custom_actions()
    assert.is_nil(acts)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
    assert.equal(1, st.fails)
    assert.equal("in call", st.reason)
    assert.matches("closed", tostring(st.lib))
  end)

  it("custom_actions2() answers nil, RPC_E_DISCONNECTED", function()
    local st = closing_lib()
    local acts, hr = st.lib:custom_actions2()
    assert.is_nil(acts)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
    assert.equal(1, st.fails)
  end)

  it("interface() caches nothing into the closed object", function()
    local st = closing_lib()
    local ptr, hr = st.lib:interface("PM_CUSTOM_ACTIONS_ID")
    assert.is_nil(ptr)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
    assert.error_matches(function() st.lib:interface("PM_CUSTOM_ACTIONS_ID") end,
      "protocol manager is closed", 1, true)
  end)

  it("interface(id, true) through GetCustomInterface the same", function()
    local st = closing_lib()
    local ptr, hr = st.lib:interface(7, true)
    assert.is_nil(ptr)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
  end)

  it("check_idle() and check_health_async() answer RPC_E_DISCONNECTED", function()
    local st = closing_lib()
    local idle, hr = st.lib:check_idle()
    assert.is_nil(idle)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
    st = closing_lib()
    local got
    hr = st.lib:check_health_async(function(status) got = status end)
    assert.equal(ca.RPC_E_DISCONNECTED, hr)
    assert.is_nil(got)
  end)

  it("without on_fail closing it, the same calls answer as before", function()
    local fails = 0
    local lib = ca.load(MINI, { init = "GetProtocolManagerFailing",
      on_fail = function() fails = fails + 1 end })
    local acts = assert(lib:custom_actions())
    assert.equal(1, fails)
    local ptr, hr = lib:interface(7, true)
    assert.is_nil(ptr)
    assert.equal(ca.E_NOTIMPL, hr)
    assert.equal(2, fails)
    acts:close()
    lib:close()
  end)
end)
