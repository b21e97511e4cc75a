-- The module table itself: what the REPL shows.
local ca = require "customaction"

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
