-- A Lua provider behind ca.actions: its interface pointers wrapped as
-- foreign objects answer the custom-actions API (spec/shared/actions_api.lua)
-- like the simulated issuer does. The provider under test forwards each
-- action to a simulated issuer on a virtual clock, so that the shared
-- examples' scenarios, clock and log apply unchanged while every call and
-- report crosses the provider's native interfaces, replies and
-- cancellation.
local ca = require "customaction"
local support = require "support"

local env = { describe = describe, it = it, pending = pending,
              before_each = before_each, after_each = after_each, assert = assert }

-- An action that forwards to the issuer: the registration (or run) there,
-- each report back through the reply, unregistering through on_cancel.
local function forwarder(issuer, name)
  return function(args, reply)
    local cb = ca.callback(function(status, response, final)
      return reply:send(status, response, final)
    end, { name = "forward " .. name })
    if reply.shape == "v1" then
      issuer:run(name, args, cb)
    else
      reply.on_cancel = function() issuer:unregister(name) end
      issuer:register(name, args, cb)
    end
  end
end

-- pm: the issuer's methods, with define also defining the provider's action
local function driver(issuer, provider)
  return setmetatable({
    define = function(_, name, scenario)
      issuer:define(name, scenario)
      provider:define(name, forwarder(issuer, name))
    end,
  }, { __index = function(_, k)
    return function(_, ...) return issuer[k](issuer, ...) end
  end })
end

local function factory(name, wrap)
  return {
    name = name,
    new = function()
      local issuer = ca.issuer({ clock = "virtual", builtins = false })
      local provider = ca.provider({ name = "forwarding" })
      local pm = driver(issuer, provider)
      local acts = wrap(provider, { wait = function() return issuer:advance() > 0 end })
      pm.provider, pm.issuer = provider, issuer
      return pm, acts
    end,
    close = function(pm, acts)
      acts:close()
      pm.provider:close()
      pm.issuer:close()
    end,
    v1 = true,
    -- a provider answers an unknown name as IIS's core protocol manager does
    unknown = ca.E_NOTIMPL,
  }
end

require("shared.actions_api")(factory("ca.actions(provider v1, v2)", function(p, opts)
  return ca.actions({ v1 = p:interface("v1"), v2 = p:interface("v2") }, opts)
end), env)

local v2_only = factory("ca.actions(provider v2)", function(p, opts)
  return ca.actions(p:interface("v2"), opts)
end)
v2_only.v1 = false
require("shared.actions_api")(v2_only, env)

describe("ca.actions of a provider's pointer", function()
  it("holds one reference on the provider until closed", function()
    local p = ca.provider{ actions = { Echo = function(a, r) r:finish(0, a) end } }
    local acts = ca.actions(p:interface("v2"))
    assert.equal(2, p:stats().refs)
    acts:close()
    assert.equal(1, p:stats().refs)
  end)

  it("runs an action inside the call, as IIS's core protocol manager does",
     function()
    local p = ca.provider{ actions = { Echo = function(a, r) return r:finish(0, a) end } }
    local acts = ca.actions({ v1 = p:interface("v1") })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:run("Echo", "now", cb))
    assert.equal("now", got[1].response)
    acts:close()
  end)
end)
