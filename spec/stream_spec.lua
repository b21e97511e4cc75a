-- customaction.stream as an object (start, next, stop, close): what the
-- command's session driver builds on. The loop form (pm:stream) is in
-- the issuer's, wrapped providers' and providers' specs.
local ca = require "customaction"
local stream = require "customaction.stream"

-- a virtual clock: the wait hook advances it, so nothing sleeps
local function virtual()
  local pm = ca.issuer({ clock = "virtual" })
  return pm, { wait = function() return pm:advance() > 0 end,
               active = function() return pm:active("Counters") end }
end

describe("stream.start", function()
  it("returns nil and the HRESULT when the registration is refused", function()
    local pm, hooks = virtual()
    local s, hr = stream.start(pm, "NoSuchAction", "", hooks)
    assert.is_nil(s)
    assert.equal(ca.E_NOT_SET, hr)
    pm:close()
  end)

  it("reads responses with next; stop unregisters and keeps the final response", function()
    local pm, hooks = virtual()
    local s = assert(stream.start(pm, "Counters", "", hooks))
    assert.equal(ca.S_OK, s.registered)
    local status, response, final = s:next()
    assert.equal(ca.S_OK, status)
    assert.equal("requests=1", response)
    assert.is_false(final)
    assert.equal(ca.S_OK, s:stop())
    assert.is_false(pm:active("Counters"))
    local rest = {}
    for st, _, fin in s.next, s do rest[#rest + 1] = { st, fin } end
    assert.same({ { ca.E_ABORT, true } }, rest)
    assert.equal(ca.S_OK, s:stop())      -- a second stop does nothing more
    s:close()
    local ops = {}
    for i, e in ipairs(pm:log()) do ops[i] = e.op end
    -- one unregistration: close after stop does not unregister again
    assert.same({ "addref", "register", "report", "unregister", "report", "release" }, ops)
    pm:close()
  end)

  it("stop after the final response unregisters nothing", function()
    local pm = ca.issuer({ clock = "virtual" })
    pm:define("Once", { every = 10, count = 1 })
    local s = assert(stream.start(pm, "Once", "", { wait = function() return pm:advance() > 0 end }))
    local status, _, final = s:next()
    assert.equal(ca.S_OK, status)
    assert.is_true(final)
    assert.is_nil(s:stop())
    assert.is_nil(s:next())
    s:close()
    pm:close()
  end)

  it("passes on_error to its callback: an error while queueing reaches it", function()
    local pm, hooks = virtual()
    local seen
    hooks.on_error = function(message) seen = message end
    local s = assert(stream.start(pm, "Counters", "", hooks))
    s.queue = nil                       -- the handler's next append fails
    pm:advance()
    ca.dispatch()
    assert.matches("attempt to index", seen)
    s.queue = {}
    s:close()
    pm:close()
  end)
end)
