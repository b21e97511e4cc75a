--- A small JSON encoder for the command-line tool's `--json` output.
--
-- Encodes nil, booleans, numbers, strings (which must be UTF-8; the tool
-- turns other bytes into hex first) and tables: a table marked with
-- `json.array` or with a `[1]` is an array, any other table an object
-- with its keys sorted, so that the output is the same from run to run.
-- Each encoded value is one line. `json.null` encodes as `null` inside a
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

local function string_literal(s)
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
