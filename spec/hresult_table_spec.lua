-- The HRESULT table (src/core/hresult_table.h), row by row, checked against the
-- HRESULT bit layout and against HRESULT_FROM_WIN32 computed here in Lua.
local ca = require "customaction"

local rows = ca.hresult.table()

-- arithmetic rather than bit operators, so the spec runs on every Lua
local function from_win32(code)
  if code <= 0 then return code % 0x100000000 end
  return code % 0x10000 + 0x80070000
end

local facility_of_prefix = {
  RPC_E_ = 1, DISP_E_ = 2, TYPE_E_ = 2, STG_E_ = 3,
  OLE_E_ = 4, OLE_S_ = 4, CLASS_E_ = 4, REGDB_E_ = 4, DRAGDROP_S_ = 4,
}

-- failure codes whose SDK names carry _S_ all the same
local failing_s_names = { RPC_S_CALLPENDING = true, RPC_S_WAITONTIMER = true }

describe("the HRESULT table", function()
  it("names at least 200 values", function()
    assert.is_true(#rows >= 200, "only " .. #rows .. " rows")
  end)

  it("has no name twice and no value with two primary names", function()
    local names, primaries = {}, {}
    for _, r in ipairs(rows) do
      assert.is_nil(names[r.name], r.name .. " listed twice")
      names[r.name] = true
      if not r.alias then
        assert.is_nil(primaries[r.value.value], r.name .. " shares a value with "
          .. tostring(primaries[r.value.value]))
        primaries[r.value.value] = r.name
      end
    end
  end)

  it("exports every name as a module constant with its value", function()
    for _, r in ipairs(rows) do
      assert.equal(r.value, ca[r.name], r.name)
      assert.equal(r.value, ca.hresult(r.name), r.name)
    end
  end)

  it("gives every primary name its own value's name, and aliases the primary's", function()
    for _, r in ipairs(rows) do
      if r.alias then
        assert.not_equal(r.name, r.value.name)
        assert.is_not_nil(r.value.name)
      else
        assert.equal(r.name, r.value.name)
      end
      assert.is_true(#r.message > 0 and r.message == r.value.message, r.name)
    end
  end)

  it("wraps each Win32 row exactly as HRESULT_FROM_WIN32 does", function()
    local n = 0
    for _, r in ipairs(rows) do
      if r.win32 then
        n = n + 1
        assert.equal(from_win32(r.win32), r.value.value, r.name)
        assert.equal(7, r.value.facility, r.name)
        assert.equal(1, r.value.severity, r.name)
        assert.equal(r.win32 % 0x10000, r.value.code, r.name)
      end
    end
    assert.is_true(n >= 150, "only " .. n .. " Win32 rows")
  end)

  it("puts the Win32 name inside each wrapped name; a COM name is primary", function()
    local com = {}
    for _, r in ipairs(rows) do
      if r.win32 and not r.name:match("^HRESULT_FROM_WIN32_") then com[r.value] = r.name end
    end
    for _, r in ipairs(rows) do
      if r.win32 and r.name:match("^HRESULT_FROM_WIN32_") then
        assert.equal(com[r.value] ~= nil, r.alias, r.name)
        if com[r.value] then assert.equal(com[r.value], r.value.name) end
      end
    end
    assert.equal("E_NOT_SET", ca.HRESULT_FROM_WIN32_ERROR_NOT_FOUND.name)
    assert.equal("E_ACCESSDENIED", ca.HRESULT_FROM_WIN32_ERROR_ACCESS_DENIED.name)
  end)

  it("gives failure names the severity bit and success names none", function()
    for _, r in ipairs(rows) do
      local n = r.name
      if n:match("^HRESULT_FROM_WIN32_") then  -- wrapped: failures, whatever the Win32 name
        assert.equal(1, r.value.severity, n)
      elseif failing_s_names[n] or n:match("^E_") or n:match("_E_") then
        assert.equal(1, r.value.severity, n)
      elseif n:match("^S_") or n:match("_S_") then
        assert.equal(0, r.value.severity, n)
      end
    end
  end)

  it("puts each family in its facility", function()
    for _, r in ipairs(rows) do
      for prefix, facility in pairs(facility_of_prefix) do
        if r.name:sub(1, #prefix) == prefix then
          assert.equal(facility, r.value.facility, r.name)
        end
      end
      if r.name:match("^CO_E_") then
        local f = r.value.facility
        assert.is_true(f == 0 or f == 1 or f == 4, r.name)
      end
    end
  end)

  it("covers the families the issuer's callers meet", function()
    for _, n in ipairs({ "E_FAIL", "E_ABORT", "E_POINTER", "E_OUTOFMEMORY",
      "E_INVALIDARG", "CO_E_NOTINITIALIZED", "RPC_E_DISCONNECTED",
      "DISP_E_EXCEPTION", "HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS",
      "HRESULT_FROM_WIN32_ERROR_TIMEOUT", "HRESULT_FROM_WIN32_ERROR_CANCELLED",
      "HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE",
      "HRESULT_FROM_WIN32_RPC_S_SERVER_UNAVAILABLE",
      "HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA",
      "HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND" }) do
      assert.is_not_nil(ca[n], n)
    end
  end)
end)
