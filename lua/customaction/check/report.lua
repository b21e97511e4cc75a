--- How the results of `ca.check` are shown: text, one JSON document, or
-- JUnit XML.
--
-- @module customaction.check.report

local json = require "customaction.json"

local M = {}

--- One line for a check: status, name, short reason.
-- @tparam table c a check's result
-- @treturn string
function M.line(c)
  return ("%-4s  %-18s %s"):format(c.status, c.name, c.detail or "")
end

--- One check as text: its line, and for a failing one its rule, the
-- rule's source and the framework calls the library made.
-- @tparam table c a check's result
-- @treturn string lines, each ending with a newline
function M.check_text(c)
  local out = { M.line(c) }
  if c.status == "fail" then
    out[#out + 1] = "      rule:   " .. c.rule
    out[#out + 1] = "      source: " .. c.source
    if c.calls and #c.calls > 0 then
      out[#out + 1] = "      framework calls (last " .. #c.calls .. "):"
      for _, call in ipairs(c.calls) do out[#out + 1] = "        " .. call end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

--- The results as text: each check as `check_text` shows it, then a
-- summary line.
-- @tparam table res what `ca.check` returned
-- @treturn string
function M.text(res)
  local out = {}
  for _, c in ipairs(res.checks) do out[#out + 1] = M.check_text(c) end
  return table.concat(out) .. M.summary(res) .. "\n"
end

--- The summary line.
-- @tparam table res
-- @treturn string
function M.summary(res)
  return ("%s: %d passed, %d failed, %d skipped%s"):format(res.library, res.passed, res.failed,
    res.skipped, res.unloadable and " (the library did not load)" or "")
end

-- Bytes that are not UTF-8 would make the JSON invalid: hex them.
local function text(s)
  if s == nil then return json.null end
  if utf8 and utf8.len(s) == nil then
    return (s:gsub("[\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end))
  end
  return s
end

--- The results as one JSON document: `{ library, checks = [{ name,
-- status, rule, source, detail, calls }], passed, failed, skipped }`.
-- @tparam table res
-- @treturn string
function M.json(res)
  local checks = {}
  for i, c in ipairs(res.checks) do
    local calls = {}
    for j, call in ipairs(c.calls or {}) do calls[j] = text(call) end
    checks[i] = { name = c.name, status = c.status, rule = c.rule, source = c.source, detail = text(c.detail),
                  calls = json.array(calls) }
  end
  return json.encode({ library = text(res.library), checks = json.array(checks), passed = res.passed,
                       failed = res.failed, skipped = res.skipped })
end

local function xml(s)
  return (tostring(s or ""):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" })
    :gsub("[%z\1-\8\11\12\14-\31]", "?"))
end

--- The results as JUnit XML: one testcase per check, a `<failure>` for a
-- failed one, `<skipped>` for a skipped one.
-- @tparam table res
-- @treturn string
function M.junit(res)
  local out = { '<?xml version="1.0" encoding="UTF-8"?>',
    ('<testsuite name="customaction check %s" tests="%d" failures="%d" skipped="%d">'):format(
      xml(res.library), #res.checks, res.failed, res.skipped) }
  for _, c in ipairs(res.checks) do
    local open = ('  <testcase classname="customaction.check" name="%s">'):format(xml(c.name))
    if c.status == "fail" then
      local body = { "rule: " .. c.rule, "source: " .. c.source }
      for _, call in ipairs(c.calls or {}) do body[#body + 1] = "framework call: " .. call end
      out[#out + 1] = open
      out[#out + 1] = ('    <failure message="%s">%s</failure>'):format(xml(c.detail), xml(table.concat(body, "\n")))
      out[#out + 1] = "  </testcase>"
    elseif c.status == "skip" then
      out[#out + 1] = open
      out[#out + 1] = ('    <skipped message="%s"/>'):format(xml(c.detail))
      out[#out + 1] = "  </testcase>"
    else
      out[#out + 1] = open:gsub(">$", "/>")
    end
  end
  out[#out + 1] = "</testsuite>"
  return table.concat(out, "\n") .. "\n"
end

return M
