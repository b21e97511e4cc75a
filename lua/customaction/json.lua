--- A small JSON encoder for the command-line tool's `--json` output.
--
-- Encodes nil, booleans, numbers, strings and tables: a table marked with
-- `json.array` or with a `[1]` is an array, any other table an object
-- with its keys sorted, so that the output is the same from run to run.
-- A byte of a string that is not part of well-formed UTF-8 becomes U+FFFD
-- (the replacement character), so the output is always valid JSON; the
-- tool gives response bytes that are not UTF-8 in hex instead. Each
-- encoded value is one line. `json.null` encodes as `null` inside a
-- table, where nil would leave the key out.
--
-- @module customaction.json
-- @usage
-- local json = require "customaction.json"
-- json.encode({ name = "S_OK", value = 0, list = json.array({}) })
-- --> {"list":[],"name":"S_OK","value":0}

local M = {}

local array_mt = { __name = "customaction.json.array" }

-- json.null encodes as `null` inside a table (where nil would leave the
-- key out).
M.null = setmetatable({}, { __name = "customaction.json.null",
                            __tostring = function() return "null" end })

--- Marks a table as an array, so that an empty one encodes as `[]`.
-- @tparam table t
-- @treturn table `t`
function M.array(t)
  return setmetatable(t, array_mt)
end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- The length of the well-formed UTF-8 sequence at byte i of s, or nil
-- (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
local function sequence(s, i)
  local c = s:byte(i)
  if c < 0x80 then return 1 end
  local n = c >= 0xC2 and c <= 0xDF and 2 or c >= 0xE0 and c <= 0xEF and 3
    or c >= 0xF0 and c <= 0xF4 and 4
  if not n then return nil end
  local lo, hi = 0x80, 0xBF    -- the second byte's range, narrower for some leads
  if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F
  elseif c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
  for k = 1, n - 1 do
    local b = s:byte(i + k)
    if not b or b < lo or b > hi then return nil end
    lo, hi = 0x80, 0xBF
  end
  return n
end

local REPLACEMENT = "\239\191\189"   -- U+FFFD in UTF-8

--- The string with every byte that is not part of well-formed UTF-8
-- replaced by U+FFFD, the replacement character (so that the output is
-- always valid JSON), and how many bytes were replaced.
-- @string s
-- @treturn string
-- @treturn int
function M.utf8(s)
  if not s:find("[\128-\255]") then return s, 0 end
  local out, start, i, bad = {}, 1, 1, 0
  while i <= #s do
    local len = sequence(s, i)
    if len then
      i = i + len
    else
      out[#out + 1] = s:sub(start, i - 1) .. REPLACEMENT
      i, start, bad = i + 1, i + 1, bad + 1
    end
  end
  out[#out + 1] = s:sub(start)
  return table.concat(out), bad
end

local function string_literal(s)
  s = M.utf8(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function number_literal(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if math.floor(x) == x and math.abs(x) < 2 ^ 53 then return ("%d"):format(x) end
  local short = ("%.14g"):format(x)
  return tonumber(short) == x and short or ("%.17g"):format(x)
end

local encode

local function array_literal(t, depth)
  local out = {}
  for i = 1, #t do out[i] = encode(t[i], depth) end
  return "[" .. table.concat(out, ",") .. "]"
end

local function object_literal(t, depth)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then
      error(("cannot encode a table key of type %s as JSON"):format(type(k)), depth + 1)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = string_literal(k) .. ":" .. encode(t[k], depth) end
  return "{" .. table.concat(keys, ",") .. "}"
end

function encode(v, depth)
  depth = depth + 1
  if depth > 100 then error("cannot encode JSON nested more than 100 deep (a cycle?)", depth) end
  local kind = type(v)
  if v == nil or v == M.null then return "null"
  elseif kind == "boolean" then return tostring(v)
  elseif kind == "number" then return number_literal(v)
  elseif kind == "string" then return string_literal(v)
  elseif kind == "table" then
    if getmetatable(v) == array_mt or v[1] ~= nil then return array_literal(v, depth) end
    return object_literal(v, depth)
  end
  error(("cannot encode a %s as JSON"):format(kind), depth)
end

--- Encodes a value as one line of JSON.
-- @param v the value
-- @treturn string
function M.encode(v)
  return encode(v, 1)
end

return M
