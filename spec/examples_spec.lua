-- The examples run as a user would run them, each in its own interpreter:
-- the demo, and the event-loop integrations with luv and cqueues, each
-- receiving a threaded issuer's stream.
local support = require "support"

local function run(script)
  return support.child({ script })
end

-- Where an example needs a POSIX-only peer, an example marked pending
-- with the reason; and where the child interpreter cannot load that peer
-- (an i386 or cross-built Lua has no luv or cqueues of its own), pending
-- with that.
local function posix_it(reason, module)
  if support.windows then
    return function(name) pending(name .. ": " .. support.posix_only(reason)) end
  end
  local _, code = support.child({ "-e", ("require %q"):format(module) })
  if code == 0 then return it end
  return function(name)
    pending(name .. ": the child interpreter cannot require " .. module .. " (not built for it)")
  end
end

describe("a child interpreter", function()
  it("gets each argument verbatim and gives back its exit status", function()
    -- no %NAME% of a variable: Wine's cmd.exe expands those even escaped
    local awkward = [[a "b" \"c\ 100% %d %s %% & | < > ^ ( ) ! 'd' $HOME]]
    local out, code = support.child({ "-e", ("io.write(%q) os.exit(3)"):format(awkward) })
    assert.equal(3, code)
    assert.equal(awkward, out)
  end)
end)

describe("examples/demo.lua", function()
  it("streams, unregisters early, runs one-shots and balances its refcounts", function()
    local out, code = run("examples/demo.lua")
    assert.equal(0, code, out)
    assert.matches("40/40  requests=40%s+final", out)
    assert.matches("final report: E_ABORT", out)
    assert.matches("GET /index.htm 200 12ms", out)
    assert.matches("HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE", out)
    assert.matches("Counters%s+40%s", out)
    assert.matches("AddRef/Release balance: 0", out)
  end)
end)

describe("examples/provider.lua", function()
  it("serves the luapm sample script in-process and balances its refcounts",
     function()
    local out, code = run("examples/provider.lua")
    assert.equal(0, code, out)
    assert.matches("returned S_OK; the answer: \"hello from a native caller\"", out)
    assert.matches("requests=5%s+S_OK  %(final%)", out)
    assert.matches("site 2 idle  /LM/W3SVC/2/ROOT/api", out)
    assert.matches("final report E_ABORT", out)
    assert.matches("the caller gets DISP_E_EXCEPTION", out)
    assert.matches("this action is broken", out)
    assert.matches("echo 1, counters 1, endless 1; provider 1", out)
  end)
end)

describe("examples/luv.lua", function()
  local it_posix = posix_it("luv polls only sockets on Windows, and is not built for it here", "luv")
  it_posix("dispatches inside uv.run from a poll handle on ca.fd()", function()
    local out, code = support.child({ "examples/luv.lua" })
    assert.equal(0, code, out)
    assert.matches("luv %(poll%): 200 reports, last requests=200, final S_OK", out)
  end)

  it_posix("dispatches from a repeating timer, as it does on Windows", function()
    local out, code = support.child({ "examples/luv.lua", "timer" })
    assert.equal(0, code, out)
    assert.matches("luv %(timer%): 200 reports, last requests=200, final S_OK", out)
  end)
end)

describe("examples/cqueues.lua", function()
  local it_posix = posix_it("cqueues is written for POSIX systems", "cqueues")
  it_posix("dispatches from a cqueues coroutine polling ca.fd()", function()
    local out, code = run("examples/cqueues.lua")
    assert.equal(0, code, out)
    assert.matches("cqueues: 200 reports, last requests=200", out)
  end)
end)

describe("examples/foreign.lua", function()
  it("loads the sample protocol manager and drives it end to end", function()
    local out, code = support.child({ "examples/foreign.lua", support.pm_library("samplepm") })
    assert.equal(0, code, out)
    assert.matches("Echo: S_OK, report S_OK \"hello from Lua\"", out)
    assert.matches("Nope: E_NOTIMPL", out)
    assert.matches("APP_POOL_NAME = \"DefaultAppPool\"", out)
    assert.matches("site 2 idle  /LM/W3SVC/2/ROOT/shop    /shop  C:\\inetpub\\site2\\shop", out, 1, true)
    assert.matches("S_OK n=5  %(final%)", out)
    assert.matches("on_fail: \"too many errors\", E_FAIL", out)
    assert.matches("healthy: false, idle: true", out)
    assert.matches("Shutdown: S_OK", out)
  end)
end)

describe("README.md's example", function()
  it("runs as printed and reports what its comments say", function()
    local f = assert(io.open("README.md", "rb"))
    local readme = f:read("*a")
    f:close()
    local code = assert(readme:match("```lua\n(.-)\n```"), "README.md has a Lua example")
    local path = os.tmpname()
    f = assert(io.open(path, "wb"))
    f:write(code, "\n")
    f:close()
    local out, status = run(path)
    os.remove(path)
    assert.equal(0, status, out)
    assert.equal(table.concat({
      "S_OK (0x00000000): success",
      "S_OK\trequests=1\tfalse",
      "S_OK\trequests=2\tfalse",
      "S_OK\trequests=3\ttrue",
      "E_ACCESSDENIED (0x80070005): access denied", "" }, "\n"), out)
  end)
end)
