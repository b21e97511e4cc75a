-- ca.utf16: the conversions used for PCWSTR names and UTF-16 payloads.
local ca = require "customaction"

describe("ca.utf16.encode", function()
  it("turns UTF-8 into UTF-16LE bytes", function()
    assert.equal("A\0", ca.utf16.encode("A"))
    assert.equal("\xE4\0", ca.utf16.encode("ä"))
    assert.equal("\x13\x27", ca.utf16.encode("✓"))
    assert.equal("\x3D\xD8\x00\xDE", ca.utf16.encode("😀"))  -- surrogate pair
    assert.equal("", ca.utf16.encode(""))
    assert.equal("a\0\0\0b\0", ca.utf16.encode("a\0b"))
  end)

  it("refuses malformed UTF-8, saying what and where", function()
    local cases = {
      { "ab\255", "invalid UTF%-8 byte at byte 3" },
      { "\xC0\x80", "overlong UTF%-8 sequence at byte 1" },
      { "\xE0\x80\x80", "overlong UTF%-8 sequence at byte 1" },
      { "x\xE2\x9C", "truncated UTF%-8 sequence at byte 2" },
      { "\xED\xA0\x80", "UTF%-16 surrogate encoded in UTF%-8 at byte 1" },
      { "\xF4\x90\x80\x80", "code point above U%+10FFFF at byte 1" },
    }
    for _, c in ipairs(cases) do
      assert.error_matches(function() ca.utf16.encode(c[1]) end,
        "bad argument #1 to 'encode' %(" .. c[2] .. "%)")
    end
  end)
end)

describe("ca.utf16.decode", function()
  it("turns UTF-16LE bytes into UTF-8", function()
    assert.equal("Zähler ✓ 😀", ca.utf16.decode(ca.utf16.encode("Zähler ✓ 😀")))
    assert.equal("", ca.utf16.decode(""))
  end)

  it("refuses odd lengths and unpaired surrogates", function()
    assert.error_matches(function() ca.utf16.decode("abc") end,
      "odd number of bytes for UTF%-16 %(3%)")
    assert.error_matches(function() ca.utf16.decode("A\0\x3D\xD8") end,
      "unpaired UTF%-16 surrogate at byte 3")
    assert.error_matches(function() ca.utf16.decode("\x00\xDEA\0") end,
      "unpaired UTF%-16 surrogate at byte 1")
    assert.error_matches(function() ca.utf16.decode("\x3D\xD8A\0") end,
      "unpaired UTF%-16 surrogate at byte 1")
  end)

  it("round-trips every code point class", function()
    local s = {}
    for _, cp in ipairs({ 0x24, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF,
                          0x10000, 0x10FFFF }) do
      s[#s + 1] = utf8.char(cp)
    end
    local text = table.concat(s)
    assert.equal(text, ca.utf16.decode(ca.utf16.encode(text)))
  end)
end)
