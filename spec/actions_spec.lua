-- ca.actions: native custom-actions interfaces the module did not make,
-- wrapped in an object with the issuer's methods. The shared API specs
-- run against the simulated issuer's pointers passed in as foreign
-- objects, and the native peer counts AddRef and Release on them.
local ca = require "customaction"
local peer = require "nativepeer"
local support = require "support"

local function virtual() return ca.issuer({ clock = "virtual", builtins = false }) end

local env = { describe = describe, it = it, pending = pending,
              before_each = before_each, after_each = after_each, assert = assert }

-- both interfaces of one provider, wrapped as foreign pointers
require("shared.actions_api")({
  name = "ca.actions{v1, v2}",
  new = function()
    local pm = virtual()
    local acts = ca.actions({ v1 = pm:interface("v1"), v2 = pm:interface("v2") },
      { wait = function() return pm:advance() > 0 end })
    return pm, acts
  end,
  close = function(pm, acts) acts:close() pm:close() end,
  v1 = true,
}, env)

-- the IPmCustomActions2 pointer alone, as ca.actions(ptr) takes it
require("shared.actions_api")({
  name = "ca.actions(v2)",
  new = function()
    local pm = virtual()
    return pm, ca.actions(pm:interface("v2"), { wait = function() return pm:advance() > 0 end })
  end,
  close = function(pm, acts) acts:close() pm:close() end,
  v1 = false,
}, env)

-- AddRef returns the new count; so does Release
local function refs(ptr)
  peer.addref(ptr)
  return peer.release(ptr)
end

describe("ca.actions", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("AddRefs the pointer it wraps and Releases it exactly once on close", function()
    local ptr = pm:interface("v2")
    local before = refs(ptr)
    local acts = ca.actions(ptr)
    assert.equal(before + 1, refs(ptr))
    acts:close()
    assert.equal(before, refs(ptr))
    acts:close()
    assert.equal(before, refs(ptr))
    assert.equal("customaction.actions (closed)", tostring(acts))
  end)

  it("Releases on __gc", function()
    local ptr = pm:interface("v1")
    local before = refs(ptr)
    do
      local _ = ca.actions(ptr, "v1")
      assert.equal(before + 1, refs(ptr))
    end
    for _ = 1, 4 do collectgarbage() end
    assert.equal(before, refs(ptr))
  end)

  support.when_close(it, pending)("Releases as a to-be-closed variable", function()
    local ptr = pm:interface("v2")
    local before = refs(ptr)
    support.compile([[
      local ca, ptr = ...
      local acts <close> = ca.actions(ptr)
    ]])(ca, ptr)
    assert.equal(before, refs(ptr))
  end)

  it("makes a customaction.actions object that says what it wraps", function()
    local acts = ca.actions({ v1 = pm:interface("v1"), v2 = pm:interface("v2") })
    assert.equal("customaction.actions", getmetatable(acts).__name)
    assert.matches("^customaction.actions %(v1 and v2%): ", tostring(acts))
    assert.equal(pm:interface("v1"), acts:interface("v1"))
    assert.is_nil(ca.actions(pm:interface("v1"), "v1"):interface("v2"))
    acts:close()
  end)

  it("takes a plain function as the callback, wrapped for it", function()
    pm:define("A", { payload = "x" })
    local got
    local acts = ca.actions(pm:interface("v2"))
    assert.equal(ca.S_OK, acts:register("A", "", function(_, r) got = r end))
    pm:advance(0)
    assert.equal("x", got)
    acts:close()
  end)

  it("passes the provider's HRESULTs through unchanged", function()
    local acts = ca.actions(pm:interface("v2"))
    assert.equal(ca.E_NOT_SET, acts:register("Nope", "", function() end))
    pm:close()
    assert.equal(ca.RPC_E_DISCONNECTED, acts:register("A", "", function() end))
    acts:close()
  end)

  it("rejects what is not a pointer, and methods of a shape it does not wrap", function()
    assert.error_matches(function() ca.actions("x") end,
      "bad argument #1 to 'actions' %(pointer must be a non%-NULL light userdata")
    assert.error_matches(function() ca.actions(pm:interface("v1"), "v3") end,
      "bad argument #2 to 'actions' %(invalid option 'v3'")
    assert.error_matches(function() ca.actions({}) end, "table has neither 'v1' nor 'v2'")
    assert.error_matches(function() ca.actions({ v1 = 1 }) end, "field 'v1' must be a non%-NULL light userdata")
    assert.error_matches(function() ca.actions(pm:interface("v1"), "v1", { when = 1 }) end,
      "unknown option 'when'")
    local v2 = ca.actions(pm:interface("v2"))
    assert.error_matches(function() v2:run("A", "", function() end) end,
      "run needs an IPmCustomActions: this object wraps none")
    local v1 = ca.actions(pm:interface("v1"), "v1")
    assert.error_matches(function() v1:unregister("A") end,
      "unregister needs an IPmCustomActions2")
    v1:close() v2:close()
    assert.error_matches(function() v1:run("A", "", function() end) end, "actions object is closed")
  end)
end)
