-- ca.reader and ca.writer: little-endian binary responses, such as the
-- hosting protocol manager's application-domain listing (a DWORD count,
-- then per record a DWORD site id, a DWORD idle flag and three strings,
-- each a DWORD character count and UTF-16LE padded to 4 bytes).
local ca = require "customaction"

local function listing(records)
  local w = ca.writer():u32(#records)
  for _, r in ipairs(records) do
    w:u32(r.site):u32(r.idle and 1 or 0)
    for _, s in ipairs({ r.id, r.vpath, r.ppath }) do
      w:u32(#ca.utf16.encode(s) / 2):utf16(s):align(4)
    end
  end
  return w:tostring()
end

local function decode(bytes)
  local r, out = ca.reader(bytes), {}
  for i = 1, r:u32() do
    local rec = { site = r:u32(), idle = r:u32() ~= 0 }
    rec.id = r:utf16(r:u32()) r:align(4)
    rec.vpath = r:utf16(r:u32()) r:align(4)
    rec.ppath = r:utf16(r:u32()) r:align(4)
    out[i] = rec
  end
  assert(r:remaining() == 0)
  return out
end

describe("ca.reader", function()
  it("reads little-endian integers of each width and moves on", function()
    local r = ca.reader("\1\2\1\4\3\2\1\255\255\255\255\8\7\6\5\4\3\2\1")
    assert.equal(1, r:u8())
    assert.equal(0x0102, r:u16())
    assert.equal(0x01020304, r:u32())
    assert.equal(-1, r:i32())
    assert.equal(11, r:offset())
    if math.type then assert.equal(0x0102030405060708, r:u64()) end
  end)

  it("reads unsigned 32-bit values above 2^31 as positive", function()
    assert.equal(0x80070005, ca.reader("\5\0\7\128"):u32())
    assert.equal(-2147024891, ca.reader("\5\0\7\128"):i32())
  end)

  it("reads bytes, counted UTF-16 and NUL-terminated UTF-16 as UTF-8", function()
    local r = ca.reader("ab" .. ca.utf16.encode("Zähler") .. ca.utf16.encode("✓") .. "\0\0" .. "z")
    assert.equal("ab", r:bytes(2))
    assert.equal("Zähler", r:utf16(6))
    assert.equal("✓", r:utf16z())
    assert.equal(1, r:remaining())
  end)

  it("skips padding to a multiple from the start", function()
    local r = ca.reader("\1\0\0\0\2")
    r:u8()
    assert.equal(r, r:align(4))
    assert.equal(4, r:offset())
    assert.equal(2, r:u8())
  end)

  it("says what it wanted, at which offset, when the buffer is short", function()
    local r = ca.reader("\1\2\3")
    r:u8()
    assert.error_matches(function() r:u32() end,
      "reader: u32 wants 4 bytes at offset 1, but only 2 remain %(of 3%)")
    assert.error_matches(function() r:utf16(5) end, "utf16 wants 10 bytes at offset 1")
    assert.error_matches(function() r:bytes(3) end, "bytes wants 3 bytes at offset 1")
    assert.error_matches(function() ca.reader("a\0b\0"):utf16z() end,
      "utf16z wants a NUL%-terminated UTF%-16 string at offset 0, but no NUL follows")
    local padded = ca.reader("\1\2")
    padded:u8()
    assert.error_matches(function() padded:align(4) end, "align wants 3 bytes at offset 1")
    assert.equal(1, r:offset())  -- a failed read moves nothing
  end)

  it("refuses unpaired surrogates and bad counts", function()
    assert.error_matches(function() ca.reader("\0\216"):utf16(1) end, "unpaired UTF%-16 surrogate at offset 0")
    assert.error_matches(function() ca.reader(""):bytes(-1) end,
      "'count' must be an integer in 0..9007199254740992 %(got %-1%)")
    assert.error_matches(function() ca.reader(""):align(0) end, "'alignment' must be an integer in 1..65536 %(got 0%)")
    assert.error_matches(function() ca.reader({}) end, "bad argument #1 to 'reader' %(string expected")
  end)

  it("moves nothing when a UTF-16 read fails on a bad unit", function()
    local r = ca.reader("A\0\0\216B\0\0\0")
    assert.error_matches(function() r:utf16(2) end, "unpaired UTF%-16 surrogate at offset 2")
    assert.equal(0, r:offset())
    assert.error_matches(function() r:utf16z() end, "unpaired UTF%-16 surrogate at offset 2")
    assert.equal(0, r:offset())
    assert.equal("A", r:utf16(1))
    assert.equal(2, r:offset())
  end)

  it("names the true size of a huge count", function()
    local r = ca.reader("abcd")
    for _, c in ipairs{
      { "bytes", 2^31, "2147483648" }, { "bytes", 2^32, "4294967296" },
      { "bytes", 2^53, "9007199254740992" }, { "utf16", 2^32 + 1, "8589934594" },
      { "utf16", 2^31, "4294967296" }, { "utf16", 2^53, "18014398509481984" },
    } do
      assert.error_matches(function() r[c[1]](r, c[2]) end,
        "reader: " .. c[1] .. " wants " .. c[3] .. " bytes at offset 0, but only 4 remain %(of 4%)")
      assert.equal(0, r:offset())
    end
  end)

  it("prints where it is", function()
    assert.equal("customaction.reader (offset 0 of 4)", tostring(ca.reader("abcd")))
  end)
end)

describe("ca.writer", function()
  it("writes what the reader reads, chaining", function()
    local w = ca.writer():u8(1):u16(0x0102):u32(0x80070005):i32(-2):utf16z("é"):align(4):bytes("xy")
    local r = ca.reader(w:tostring())
    assert.same({ 1, 0x0102, 0x80070005, -2, "é" }, { r:u8(), r:u16(), r:u32(), r:i32(), r:utf16z() })
    r:align(4)
    assert.equal("xy", r:bytes(2))
    assert.equal(#w, r:offset())
    assert.matches("^customaction.writer %(%d+ bytes%)$", tostring(w))
  end)

  it("writes u64 values", function()
    assert.equal(2 ^ 40, ca.reader(ca.writer():u64(1099511627776):tostring()):u64())
  end)

  it("checks ranges and text", function()
    assert.error_matches(function() ca.writer():u8(256) end, "'u8' must be an integer in 0..255 %(got 256%)")
    assert.error_matches(function() ca.writer():u32(-1) end, "'u32' must be an integer in 0..4294967295 %(got %-1%)")
    assert.error_matches(function() ca.writer():i32(2 ^ 31) end,
      "'i32' must be an integer in %-2147483648..2147483647 %(got 2147483648%)")
    assert.error_matches(function() ca.writer():u16(1.5) end, "'u16' must be an integer in 0..65535 %(got 1.5%)")
    assert.error_matches(function() ca.writer():utf16("\255") end, "invalid UTF%-8 byte at byte 1")
    assert.error_matches(function() ca.writer():utf16z("a\0b") end, "embedded NUL")
  end)
end)

describe("an application-domain listing", function()
  it("round-trips through writer and reader", function()
    local records = {
      { site = 1, idle = false, id = "/LM/W3SVC/1/ROOT", vpath = "/", ppath = "C:\\inetpub\\wwwroot" },
      { site = 2, idle = true, id = "/LM/W3SVC/2/ROOT/app", vpath = "/app", ppath = "D:\\sites\\äpp" },
    }
    local bytes = listing(records)
    assert.equal(0, #bytes % 4)
    assert.same(records, decode(bytes))
  end)
end)
