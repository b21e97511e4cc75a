-- HRESULTs as Lua values: constructors, interning, structure, text.
local ca = require "customaction"

describe("ca.hresult", function()
  it("accepts the unsigned 32-bit form", function()
    assert.equal(0x80070005, ca.hresult(0x80070005).value)
  end)

  it("normalises the signed form to the same value", function()
    assert.equal(ca.E_ACCESSDENIED, ca.hresult(-2147024891))
    assert.equal(0xFFFFFFFF, ca.hresult(-1).value)
  end)

  it("accepts integral floats", function()
    assert.equal(ca.S_FALSE, ca.hresult(1.0))
  end)

  it("accepts a primary name or an alias", function()
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("E_ACCESSDENIED"))
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("HRESULT_FROM_WIN32_ERROR_ACCESS_DENIED"))
  end)

  it("accepts hex strings in either case, with up to eight digits", function()
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("0x80070005"))
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("0X80070005"))
    assert.equal(ca.E_UNEXPECTED, ca.hresult("0x8000ffff"))
    assert.equal(ca.S_FALSE, ca.hresult("0x1"))
  end)

  it("returns an HRESULT value as is", function()
    local hr = ca.hresult(0x12345678)
    assert.is_true(rawequal(hr, ca.hresult(hr)))
  end)

  it("interns: every constructor gives the same userdata for a code", function()
    local a = ca.hresult(0x80070490)
    assert.is_true(rawequal(a, ca.hresult(-2147023728)))
    assert.is_true(rawequal(a, ca.hresult("0x80070490")))
    assert.is_true(rawequal(a, ca.hresult("E_NOT_SET")))
    assert.is_true(rawequal(a, ca.hresult("HRESULT_FROM_WIN32_ERROR_NOT_FOUND")))
    assert.is_true(rawequal(a, ca.hresult.from_win32(1168)))
    assert.is_true(rawequal(a, ca.hresult.from_win32("ERROR_NOT_FOUND")))
    assert.is_true(rawequal(a, ca.E_NOT_SET))
    local seen
    ca.callback(function(s) seen = s end):report(0x80070490, "")
    assert.is_true(rawequal(a, seen))
  end)

  it("interns unnamed values as long as anything holds them", function()
    local a = ca.hresult(0x20001234)
    collectgarbage()
    assert.is_true(rawequal(a, ca.hresult(0x20001234)))
  end)

  local function rejects(x, got)
    local ok, err = pcall(ca.hresult, x)
    assert.is_false(ok)
    assert.matches("bad argument #1 to '[%w_?]+' %(expected an HRESULT: an integer in " ..
      "%-0x80000000..0xFFFFFFFF, a name such as \"E_FAIL\", a hex string such as " ..
      "\"0x80004005\", the macro spelling \"HRESULT_FROM_WIN32%(ERROR_NOT_FOUND%)\" or an " ..
      "HRESULT value; got " .. got .. "%)", err)
  end

  it("rejects integers outside the 32-bit range, saying what it got", function()
    rejects(0x100000000, "number 4294967296")
    rejects(-0x80000001, "number %-2147483649")
  end)

  it("rejects non-integral numbers", function()
    rejects(1.5, "number 1.5")
    rejects(0/0, "number %-?nan")
  end)

  it("rejects unknown names and malformed hex", function()
    rejects("E_NOPE", 'string "E_NOPE"')
    rejects("e_fail", 'string "e_fail"')
    rejects("0x", 'string "0x"')
    rejects("0x123456789", 'string "0x123456789"')
    rejects("0xG", 'string "0xG"')
    rejects("5", 'string "5"')
    rejects(" E_FAIL", 'string " E_FAIL"')
    rejects("E_FAIL\0junk", 'string "E_FAIL"')
    rejects("HRESULT_FROM_WIN32(ERROR_NOPE)", 'string "HRESULT_FROM_WIN32%(ERROR_NOPE%)"')
    rejects("HRESULT_FROM_WIN32()", 'string "HRESULT_FROM_WIN32%(%)"')
    rejects("HRESULT_FROM_WIN32(5", 'string "HRESULT_FROM_WIN32%(5"')
  end)

  it("accepts the macro spelling the SDK documentation uses", function()
    assert.equal(ca.E_NOT_SET, ca.hresult("HRESULT_FROM_WIN32(ERROR_NOT_FOUND)"))
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("HRESULT_FROM_WIN32(5)"))
    assert.equal(ca.E_ACCESSDENIED, ca.hresult("HRESULT_FROM_WIN32( 0x5 )"))
    assert.equal(ca.S_OK, ca.hresult("HRESULT_FROM_WIN32(ERROR_SUCCESS)"))
    assert.equal(0x80070102, ca.hresult("HRESULT_FROM_WIN32(WAIT_TIMEOUT)").value)
  end)

  it("rejects other types", function()
    rejects({}, "table")
    rejects(true, "boolean")
    rejects(print, "function")
    assert.error_matches(function() ca.hresult() end, "bad argument #1")
  end)
end)

describe("ca.hresult.from_win32", function()
  it("wraps a Win32 code as HRESULT_FROM_WIN32 does", function()
    assert.equal(ca.E_ACCESSDENIED, ca.hresult.from_win32(5))
    assert.equal(0x80070002, ca.hresult.from_win32(2).value)
    assert.equal(0x8007FFFF, ca.hresult.from_win32(0x1FFFF).value)  -- low 16 bits
  end)

  it("maps 0 to S_OK and leaves HRESULTs unchanged", function()
    assert.equal(ca.S_OK, ca.hresult.from_win32(0))
    assert.equal(ca.E_FAIL, ca.hresult.from_win32(ca.E_FAIL))
    assert.equal(ca.E_FAIL, ca.hresult.from_win32(0x80004005))
    assert.equal(ca.E_FAIL, ca.hresult.from_win32(-2147467259))
  end)

  it("accepts the Win32 names the table knows", function()
    assert.equal(ca.HRESULT_FROM_WIN32_RPC_S_SERVER_UNAVAILABLE,
      ca.hresult.from_win32("RPC_S_SERVER_UNAVAILABLE"))
    assert.equal(0x80070102, ca.hresult.from_win32("WAIT_TIMEOUT").value)
    assert.equal(ca.E_NOT_SET, ca.hresult.from_win32("ERROR_NOT_FOUND"))
    assert.equal(ca.S_OK, ca.hresult.from_win32("ERROR_SUCCESS"))
    assert.equal(ca.S_OK, ca.hresult.from_win32("NO_ERROR"))
    assert.equal(ca.E_ACCESSDENIED, ca.hresult.from_win32("5"))
  end)

  it("refuses anything else in Win32 terms, naming itself at the caller's line", function()
    for _, bad in ipairs { "ERROR_NOPE", "E_FAIL", "", {}, true } do
      -- no tail call: LuaJIT would drop the caller's line
      local ok, err = pcall(function() local h = ca.hresult.from_win32(bad); return h end)
      assert.is_false(ok)
      assert.matches("^[^:]*_spec%.lua:%d+: bad argument #1 to 'from_win32' %(expected a Win32 " ..
        "error code: an integer in %-0x80000000..0xFFFFFFFF, a name such as \"ERROR_NOT_FOUND\"", err)
    end
    assert.error_matches(function() ca.hresult.from_win32() end, "got no value")
  end)
end)

describe("ca.succeeded and ca.failed", function()
  it("test the severity bit of values and integers", function()
    assert.is_true(ca.succeeded(ca.S_FALSE))
    assert.is_true(ca.succeeded(0))
    assert.is_false(ca.succeeded(0x80004005))
    assert.is_true(ca.failed(-1))
    assert.is_true(ca.failed("E_FAIL"))
    assert.is_false(ca.failed(ca.S_OK))
  end)

  it("are methods too", function()
    assert.is_true(ca.E_FAIL:failed())
    assert.is_false(ca.E_FAIL:succeeded())
    assert.is_true(ca.S_OK:succeeded())
  end)
end)

describe("HRESULT fields", function()
  it("decode the structure", function()
    local hr = ca.E_ACCESSDENIED
    assert.equal(0x80070005, hr.value)
    assert.equal(1, hr.severity)
    assert.equal(7, hr.facility)
    assert.equal("WIN32", hr.facility_name)
    assert.equal(5, hr.code)
    assert.is_false(hr.customer)
    assert.equal("E_ACCESSDENIED", hr.name)
    assert.equal("access denied", hr.message)
  end)

  it("decode the customer bit and unnamed values", function()
    local hr = ca.hresult(0xA0661234)
    assert.is_true(hr.customer)
    assert.equal(1, hr.severity)
    assert.equal(0x066, hr.facility)
    assert.equal(0x1234, hr.code)
    assert.is_nil(hr.name)
    assert.equal("AUDIO", hr.facility_name)
    assert.equal("failure (customer-defined), facility AUDIO, code 4660", hr.message)
  end)

  it("name facilities the SDK defines, and only those", function()
    assert.equal("RPC", ca.RPC_E_DISCONNECTED.facility_name)
    assert.equal("DISPATCH", ca.DISP_E_EXCEPTION.facility_name)
    assert.equal("ITF", ca.CLASS_E_NOAGGREGATION.facility_name)
    assert.equal("STORAGE", ca.STG_E_MEDIUMFULL.facility_name)
    assert.equal("NULL", ca.E_FAIL.facility_name)
    assert.is_nil(ca.hresult(0x80050000).facility_name)
    assert.equal("failure, facility 5, code 0", ca.hresult(0x80050000).message)
  end)

  it("are read-only", function()
    assert.error_matches(function() ca.E_FAIL.value = 1 end, "read%-only")
  end)

  it("list a value's other names as aliases", function()
    assert.same({ "HRESULT_FROM_WIN32_ERROR_NOT_FOUND" }, ca.E_NOT_SET.aliases)
    assert.same({ "HRESULT_FROM_WIN32_ERROR_INSUFFICIENT_BUFFER" },
      ca.E_NOT_SUFFICIENT_BUFFER.aliases)
    assert.same({}, ca.E_FAIL.aliases)
    assert.same({}, ca.hresult(0xA0071234).aliases)  -- unnamed
  end)

  it("unknown keys are nil", function()
    assert.is_nil(ca.E_FAIL.nope)
  end)
end)

describe("tostring(hr)", function()
  it("shows NAME (0xXXXXXXXX): message", function()
    assert.equal("E_ACCESSDENIED (0x80070005): access denied", tostring(ca.E_ACCESSDENIED))
  end)

  it("shows the primary name of a value with aliases", function()
    assert.equal("E_NOT_SET (0x80070490): element not found",
      tostring(ca.HRESULT_FROM_WIN32_ERROR_NOT_FOUND))
  end)

  it("shows hex and the structure for unnamed values", function()
    assert.equal("0x00071234: success, facility WIN32, code 4660", tostring(ca.hresult(0x71234)))
  end)

  it("concatenates like a string", function()
    assert.equal("status: S_OK (0x00000000): success", "status: " .. ca.S_OK)
  end)
end)

describe("hr:is", function()
  it("compares with anything ca.hresult accepts", function()
    local hr = ca.E_ACCESSDENIED
    assert.is_true(hr:is("E_ACCESSDENIED"))
    assert.is_true(hr:is("HRESULT_FROM_WIN32_ERROR_ACCESS_DENIED"))
    assert.is_true(hr:is(0x80070005))
    assert.is_true(hr:is(-2147024891))
    assert.is_true(hr:is("0x80070005"))
    assert.is_false(hr:is(ca.E_FAIL))
    assert.error_matches(function() hr:is({}) end, "expected an HRESULT")
  end)
end)

describe("constants on the module table", function()
  it("are listed by pairs(ca)", function()
    local n = 0
    for k, v in pairs(ca) do
      if type(v) == "userdata" and getmetatable(v) == "locked" then
        n = n + 1
        assert.equal(v, ca.hresult(k))
      end
    end
    assert.is_true(n >= 200)
  end)
end)
