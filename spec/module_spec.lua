-- The module table itself: what the REPL shows.
local ca = require "customaction"
local support = require "support"

describe("the module", function()
  it("prints its version and where to look", function()
    assert.matches("^customaction %d+%.%d+%.%d+ %(ca%.help%(%) lists the API%)$", tostring(ca))
  end)

  it("has the version of the file VERSION, the one version source", function()
    local f = assert(io.open("VERSION"))
    local version = f:read("*l")
    f:close()
    assert.equal(version, ca._VERSION)
    assert.equal(version, require("customaction.core")._VERSION)
  end)

  it("ca.help() lists the API", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    local old = io.output()
    io.output(f)
    ca.help()
    io.output(old)
    f:close()
    local text = assert(io.open(path)):read("*a")
    os.remove(path)
    for _, name in ipairs({ "ca.callback", "cb:report", "ca.hresult", "ca.dispatch",
                            "ca.issuer", "pm:stream", "ca.utf16.encode" }) do
      assert.truthy(text:find(name, 1, true), name)
    end
    assert.matches("%d+ named values", text)
  end)
end)

describe("what the REPL prints", function()
  it("shows the fields of logs, statistics and table rows, not an address", function()
    local pm = ca.issuer({ clock = "virtual" })
    pm:run("GetRequests", "", ca.callback(function() end))
    ca.dispatch()
    local text = tostring(pm:log())
    assert.matches("^issuer_log{ dropped = 0, %[1%] = log_entry{ action = \"GetRequests\", op = \"addref\"", text)
    pm:close()
    local prov = ca.provider({ actions = {} })
    assert.matches("^provider_stats{ calls = 0, .*refused = { closed = 0, ", tostring(prov:stats()))
    prov:close()
    assert.equal('hresult_row{ alias = false, message = "success", name = "S_OK", '
      .. "value = S_OK (0x00000000): success }", tostring(ca.hresult.table()[1]))
    local lib = ca.load(support.pm_library("samplepm", "CA_SAMPLEPM"))
    assert.matches('^framework_log{ dropped = 0, %[1%] = framework_call{ op = "GetInterfaceVersion"',
      tostring(lib:log()))
    lib:close()
  end)

  it("names the hresult and utf16 tables and what they hold", function()
    assert.equal("customaction.hresult: ca.hresult(x), .from_win32(code), .table()",
      tostring(ca.hresult))
    assert.equal("customaction.utf16: .encode(s), .decode(bytes)", tostring(ca.utf16))
    assert.equal("customaction.hresult", getmetatable(ca.hresult).__name)
  end)
end)

describe("ca.paths", function()
  if support.windows then
    pending("on Windows the paths are as the loader found them (relative ones too): no realpath there yet")
    return
  end
  it("names the module, the C module, luapm and the C headers of this build", function()
    local p = ca.paths()
    assert.matches("/lua/customaction/init%.lua$", p.module)
    assert.matches("/customaction/core%.%a+$", p.core)
    assert.truthy(io.open(p.core)):close()
    assert.truthy(io.open(p.include .. "/customaction.h")):close()
    assert.truthy(io.open(p.include .. "/wpf.h")):close()
    if p.luapm then   -- make builds it; a bare core build has none
      assert.matches("/customaction/luapm%.%a+$", p.luapm)
    end
    for _, k in ipairs({ "module", "core", "include" }) do
      assert.truthy(p[k]:match("^/") or p[k]:match("^%a:[/\\]"), k .. " is absolute")
    end
  end)

  it("leaves out what is not there", function()
    local saved = package.cpath
    package.cpath = "/nonexistent/?.so"
    local p = ca.paths()
    package.cpath = saved
    assert.is_nil(p.core)
    assert.is_nil(p.luapm)
    assert.truthy(p.include)   -- the checkout's include/, found from the module
  end)
end)
