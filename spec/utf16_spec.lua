-- ca.utf16: the conversions used for PCWSTR names and UTF-16 payloads.
-- Byte escapes are decimal, which every Lua reads.
local ca = require "customaction"

-- utf8.char, which Lua 5.1 and 5.2 lack
local function utf8_char(cp)
  local function cont(v) return string.char(0x80 + v % 0x40) end
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40)) .. cont(cp)
  end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000)) .. cont(math.floor(cp / 0x40)) .. cont(cp)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000)) .. cont(math.floor(cp / 0x1000))
    .. cont(math.floor(cp / 0x40)) .. cont(cp)
end

describe("ca.utf16.encode", function()
  it("turns UTF-8 into UTF-16LE bytes", function()
    assert.equal("A\0", ca.utf16.encode("A"))
    assert.equal("\228\0", ca.utf16.encode("ä"))
    assert.equal("\19\39", ca.utf16.encode("✓"))
    assert.equal("\61\216\0\222", ca.utf16.encode("😀"))  -- surrogate pair
    assert.equal("", ca.utf16.encode(""))
    assert.equal("a\0\0\0b\0", ca.utf16.encode("a\0b"))
  end)

  it("refuses malformed UTF-8, saying what and where", function()
    local cases = {
      { "ab\255", "invalid UTF%-8 byte at byte 3" },
      { "\192\128", "overlong UTF%-8 sequence at byte 1" },
      { "\224\128\128", "overlong UTF%-8 sequence at byte 1" },
      { "x\226\156", "truncated UTF%-8 sequence at byte 2" },
      { "\237\160\128", "UTF%-16 surrogate encoded in UTF%-8 at byte 1" },
      { "\244\144\128\128", "code point above U%+10FFFF at byte 1" },
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
    assert.error_matches(function() ca.utf16.decode("A\0\61\216") end,
      "unpaired UTF%-16 surrogate at byte 3")
    assert.error_matches(function() ca.utf16.decode("\0\222A\0") end,
      "unpaired UTF%-16 surrogate at byte 1")
    assert.error_matches(function() ca.utf16.decode("\61\216A\0") end,
      "unpaired UTF%-16 surrogate at byte 1")
  end)

  it("round-trips every code point class", function()
    local s = {}
    for _, cp in ipairs({ 0x24, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF,
                          0x10000, 0x10FFFF }) do
      s[#s + 1] = utf8_char(cp)
    end
    local text = table.concat(s)
    assert.equal(text, ca.utf16.decode(ca.utf16.encode(text)))
  end)
end)
