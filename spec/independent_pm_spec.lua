-- ca.load of a protocol manager that shares no code with this project:
-- tests/pm/minipm.c is plain C with its own declarations, written from
-- the framework header's layout alone. What works here works with any
-- library that has that layout.
local ca = require "customaction"
local support = require "support"

local MINI = support.pm_library("minipm", "CA_MINIPM")

local function run(acts, name, args)
  local got = {}
  local hr = acts:run(name, args, function(status, response, final)
    got[#got + 1] = { status = status, response = response, final = final }
  end)
  return hr, got
end

describe("a protocol manager written without our headers", function()
  local pm, acts
  before_each(function()
    pm = ca.load(MINI, { settings = { APP_POOL_NAME = "IndependentPool" } })
    acts = assert(pm:custom_actions())
  end)
  after_each(function()
    acts:close()
    pm:close()
  end)

  it("answers RunCustomAction inside the call, with its arguments echoed", function()
    local hr, got = run(acts, "Echo", "héllo, wörld")
    assert.equal(ca.S_OK, hr)
    assert.equal(1, #got)
    assert.equal(ca.S_OK, got[1].status)
    assert.equal("héllo, wörld", ca.utf16.decode(got[1].response))
  end)

  it("reads a setting from our framework with the size query first", function()
    local hr, got = run(acts, "Pool", "")
    assert.equal(ca.S_OK, hr)
    assert.equal("IndependentPool", ca.utf16.decode(got[1].response))
    local ops = {}
    for _, e in ipairs(pm:log()) do
      if e.op == "GetStringProperty" then ops[#ops + 1] = e.result end
    end
    assert.same({ ca.E_NOT_SUFFICIENT_BUFFER, ca.S_OK }, ops)
  end)

  it("passes its own HRESULTs through: E_NOTIMPL for names it does not know", function()
    local hr, got = run(acts, "Nope", "")
    assert.equal(ca.E_NOTIMPL, hr)
    assert.equal(0, #got)
    local none, why = pm:custom_actions2()
    assert.is_nil(none)
    assert.equal(ca.E_NOTIMPL, why)
  end)

  it("sees every reference it took on our objects released by Shutdown", function()
    run(acts, "Echo", "x")
    run(acts, "Pool", "")
    assert.equal(ca.S_OK, pm:shutdown())  -- E_UNEXPECTED when unbalanced
    local addrefs, releases = 0, 0
    for _, e in ipairs(pm:log()) do
      if e.op == "AddRef" then addrefs = addrefs + 1 end
      if e.op == "Release" then releases = releases + 1 end
    end
    assert.is_true(addrefs > 0)
    assert.equal(addrefs, releases)
  end)
end)
