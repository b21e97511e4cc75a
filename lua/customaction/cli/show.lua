--- How the `customaction` command shows HRESULTs and responses, as text
-- and as JSON objects.
--
-- Responses are decoded as the `--decode` option says: `raw` (the bytes
-- as they are), `utf16` (UTF-16LE text), `hex` (a hexdump), `records` (the
-- application-domain listing in the counted-UTF-16 shape, read with
-- `ca.reader`) or `auto`
-- (the default: text when the bytes are printable UTF-8, UTF-16 text when
-- they decode to printable text, a hexdump otherwise). In JSON, bytes that
-- are not UTF-8 are always given in hex, and `decode` says what was used.
--
-- @module customaction.cli.show

local ca = require "customaction"
local json = require "customaction.json"

local M = {}

--- An HRESULT as a table for JSON: name (or null), aliases (its other
-- names), hex, value (unsigned), signed, severity, failed, customer,
-- facility, facility_name (or null), code, message.
-- @tparam hresult hr
-- @treturn table
function M.hresult(hr)
  local v = hr.value
  local aliases = {}
  for i, a in ipairs(hr.aliases or {}) do aliases[i] = a end
  return { name = hr.name or json.null, aliases = json.array(aliases), hex = ("0x%08X"):format(v), value = v,
           signed = v >= 0x80000000 and v - 0x100000000 or v, severity = hr.severity,
           failed = hr:failed(), customer = hr.customer, facility = hr.facility,
           facility_name = hr.facility_name or json.null, code = hr.code,
           message = hr.message }
end

--- Prints an HRESULT's fields, one per line.
-- @param ctx the command's output context
-- @tparam hresult hr
-- @tparam[opt] string win32 the Win32 code it was made from
function M.hresult_text(ctx, hr, win32)
  local v = hr.value
  ctx:line(hr.name or ("0x%08X"):format(v))
  if hr.aliases and #hr.aliases > 0 then ctx:line("  aliases   " .. table.concat(hr.aliases, ", ")) end
  if win32 then ctx:line(("  win32     %s, as HRESULT_FROM_WIN32"):format(win32)) end
  ctx:line(("  value     0x%08X (%d, signed %d)"):format(v, v, v >= 0x80000000 and v - 0x100000000 or v))
  ctx:line(("  severity  %d (%s)%s"):format(hr.severity, hr:failed() and "failure" or "success",
    hr.customer and ", customer bit set" or ""))
  ctx:line(("  facility  %d%s"):format(hr.facility, hr.facility_name and " (" .. hr.facility_name .. ")" or ""))
  ctx:line(("  code      %d (0x%04X)"):format(hr.code, hr.code))
  ctx:line(("  message   %s"):format(hr.message))
end

local function is_utf8(s)
  return (pcall(ca.utf16.encode, s))
end

local function printable(s)
  return not s:find("[%z\1-\8\11\12\14-\31\127]")
end

local function hex(bytes)
  return (bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function hexdump(bytes)
  local lines = {}
  for at = 1, #bytes, 16 do
    local chunk = bytes:sub(at, at + 15)
    local cells = chunk:gsub(".", function(c) return ("%02x "):format(c:byte()) end)
    lines[#lines + 1] = ("%04x  %-48s %s"):format(at - 1, cells,
      (chunk:gsub("[^%w%p ]", ".")))
  end
  return table.concat(lines, "\n")
end

local function utf16_text(bytes)
  local ok, text = pcall(ca.utf16.decode, bytes)
  if ok then return text end
  return nil, (tostring(text):match("%((.*)%)$") or tostring(text))
end

-- The counted-UTF-16 listing (the hosting protocol manager's application
-- domains): DWORD count, then per record DWORD site id, DWORD idle flag and
-- three strings (domain id, virtual path, physical path), each a DWORD
-- character count then UTF-16LE padded to 4 bytes.
local function read_records(bytes)
  local r = ca.reader(bytes)
  local list = {}
  for i = 1, r:u32() do
    local rec = { site = r:u32(), idle = r:u32() ~= 0 }
    for _, field in ipairs({ "id", "vpath", "path" }) do
      rec[field] = r:utf16(r:u32())
      r:align(4)
    end
    list[i] = rec
  end
  if r:remaining() > 0 then error(("%d bytes after the last record"):format(r:remaining()), 0) end
  return list
end

local function records(bytes)
  if type(ca.reader) ~= "function" then
    error("--decode records needs ca.reader, which this version of customaction lacks", 0)
  end
  local ok, list = pcall(read_records, bytes)
  if ok then return list end
  return nil, (tostring(list):gsub("^[^\n]-:%d+: ", ""))
end

--- Decodes a response.
-- @tparam ?string bytes the response (nil for a NULL buffer)
-- @string mode auto, raw, utf16, hex or records
-- @treturn string the mode used (`null` for a NULL buffer)
-- @return the decoded value: a string, or for records a table
-- @treturn ?string why the mode asked for could not be used
function M.decode(bytes, mode)
  if bytes == nil then return "null", nil end
  if mode == "auto" then
    if is_utf8(bytes) and printable(bytes) then return "raw", bytes end
    local text = utf16_text(bytes)
    if text and printable(text) then return "utf16", text end
    return "hex", bytes
  elseif mode == "utf16" then
    local text, why = utf16_text(bytes)
    if text then return "utf16", text end
    return "hex", bytes, "not UTF-16: " .. why
  elseif mode == "records" then
    local list, why = records(bytes)
    if list then return "records", list end
    return "hex", bytes, "not a record listing: " .. why
  end
  return mode, bytes
end

local function json_value(mode, value)
  if mode == "null" then return "null", json.null end
  if mode == "hex" or (mode == "raw" and not is_utf8(value)) then return "hex", hex(value) end
  if mode == "records" then return mode, json.array(value) end
  return mode, value
end

-- The text of a decoded response, for lines of text.
local function text_value(mode, value)
  if mode == "null" then return "(NULL buffer)" end
  if mode == "hex" then return hexdump(value) end
  if mode == "records" then
    local out = {}
    for i, r in ipairs(value) do
      out[i] = ("site %d  %-4s  %s  %s  %s"):format(r.site, r.idle and "idle" or "busy", r.id, r.vpath, r.path)
    end
    return #out > 0 and table.concat(out, "\n") or "(no records)"
  end
  return value
end

local function response_object(action, n, t, status, response, final, decode)
  local mode, value, note = M.decode(response, decode)
  local obj = { type = "response", action = action, n = n, time = t,
                status = M.hresult(status), final = final, bytes = response and #response or 0 }
  obj.decode, obj.response = json_value(mode, value)
  if note then obj.note = note end
  return obj
end

local function indent(text)
  return "  " .. text:gsub("\n$", ""):gsub("\n", "\n  ")
end

local function status_word(status)
  return status.name or ("0x%08X"):format(status.value)
end

--- A function that prints each response of a stream: a JSON object, a
-- line (with the body below it when it has several lines), or the live
-- progress line.
-- @param ctx the command's output context
-- @string action the action's name
-- @string decode the decoding mode
-- @treturn function `(n, seconds, status, response, final)`
function M.printer(ctx, action, decode)
  local width = math.max(40, (tonumber(os.getenv("COLUMNS")) or 80) - 1)
  return function(n, t, status, response, final)
    if ctx.json then
      ctx:emit(response_object(action, n, t, status, response, final, decode))
      return
    end
    local mode, value, note = M.decode(response, decode)
    local text = text_value(mode, value)
    if note then text = note .. "\n" .. text end
    if ctx.progress then
      local line = ("%s  #%d  %.3f s  %s  %s%s"):format(action, n, t, status_word(status),
        text:gsub("%c", " "), final and "  (final)" or "")
      ctx:write("\r\27[K", line:sub(1, width))
    elseif mode ~= "hex" and not text:find("\n") then
      ctx:line(("%8.3f  %s  %s%s"):format(t, status_word(status), text, final and "  (final)" or ""))
    else
      ctx:line(("%8.3f  %s%s"):format(t, status_word(status), final and "  (final)" or ""))
      ctx:line(indent(text))
    end
  end
end

--- Prints a one-shot action's result: what RunCustomAction returned, then
-- the response's status and body (or that none came).
-- @param ctx the command's output context
-- @string action the action's name
-- @tparam hresult result what RunCustomAction returned
-- @tparam ?table got `{ status, response }`, or nil when no response came
-- @number elapsed seconds from the call to the response
-- @string decode the decoding mode
function M.one_shot(ctx, action, result, got, elapsed, decode)
  if ctx.json then
    if got then ctx:emit(response_object(action, 1, elapsed, got[1], got[2], true, decode)) end
    ctx:emit({ type = "report", action = action, call = "run", result = M.hresult(result),
               responses = got and 1 or 0, elapsed = elapsed,
               final = got and M.hresult(got[1]) or json.null })
    return
  end
  if result:failed() then
    ctx:line(("%s: RunCustomAction returned %s"):format(action, tostring(result)))
    return
  end
  if not got then
    ctx:line(("%s: no response after %.3f s"):format(action, elapsed))
    return
  end
  local mode, value, note = M.decode(got[2], decode)
  ctx:line(("%s: %s (%d bytes, %s, %.3f s)"):format(action, tostring(got[1]),
    got[2] and #got[2] or 0, mode, elapsed))
  if note then ctx:line(note) end
  if got[2] ~= "" then ctx:line((text_value(mode, value):gsub("\n$", ""))) end
end

local function ended_text(st, opts)
  if st.stop == "count" then return ("stopped after --count %d"):format(opts.count)
  elseif st.stop == "timeout" then return ("stopped after --timeout %g s"):format(opts.timeout)
  elseif st.stop == "interrupt" then return "stopped by Ctrl-C"
  elseif st.final then return "ended by its final response" end
  return "ended without a final response"
end

--- Prints a stream's report: what the registration returned, how many
-- responses came, how the stream ended, the unregistration and the final
-- status.
-- @param ctx the command's output context
-- @string action the action's name
-- @tparam table st the session: `result`, `n`, `bytes`, `elapsed`, `stop`,
-- `unregister`, `final`, `late`, `lost`
-- @tparam table opts the options (`count`, `timeout`)
function M.stream_report(ctx, action, st, opts)
  if ctx.json then
    ctx:emit({ type = "report", action = action, call = "register",
               result = M.hresult(st.result), responses = st.n, bytes = st.bytes,
               elapsed = st.elapsed, ended = st.stop or (st.final and "final") or "none",
               unregister = st.unregister and M.hresult(st.unregister) or json.null,
               final = st.final and M.hresult(st.final) or json.null,
               late = st.late, lost = st.lost })
    return
  end
  if ctx.progress and st.n > 0 then ctx:write("\n") end
  if st.result:failed() then
    ctx:line(("%s: RegisterCustomActionCallback returned %s"):format(action, tostring(st.result)))
    return
  end
  ctx:line(("%s: %d response%s (%d bytes) in %.3f s, %s"):format(action, st.n,
    st.n == 1 and "" or "s", st.bytes, st.elapsed, ended_text(st, opts)))
  if st.unregister then ctx:line("  unregister  " .. tostring(st.unregister)) end
  if st.final then ctx:line("  final       " .. tostring(st.final)) end
  if st.late > 0 then ctx:line(("  %d more response(s) arrived after the stop"):format(st.late)) end
  if st.lost > 0 then ctx:line(("  %d response(s) lost to Ctrl-C"):format(st.lost)) end
end

--- Prints a request the library made of the worker-process framework
-- (`IWpfActions`): FailWorkerProcess or RecycleWorkerProcess.
-- @param ctx the command's output context
-- @string lib the library's path
-- @tparam table req `call`, `reason` (nil for NULL), and for FailWorkerProcess `status`
-- (an HRESULT) and `next_ping` (fFailOnNextPing)
function M.request(ctx, lib, req)
  if ctx.json then
    ctx:emit({ type = "request", library = lib, call = req.call,
               reason = req.reason == nil and json.null or req.reason,   -- NULL
               status = req.status and M.hresult(req.status) or json.null,
               fail_on_next_ping = req.next_ping == nil and json.null or req.next_ping })
    return
  end
  local what = req.status and (", %s%s"):format(tostring(req.status),
    req.next_ping and ", on the next ping" or "") or ""
  local reason = req.reason == nil and "NULL" or ("%q"):format(req.reason)
  ctx:line(("%s: the library called %s (reason %s%s)"):format(lib, req.call, reason, what))
end

--- Prints a library's health and idle state.
-- @param ctx the command's output context
-- @string lib the library's path
-- @tparam ?boolean healthy what ReportHealth said, or nil
-- @tparam ?hresult health_hr why there is no answer (CheckHealth's
-- failure, or HRESULT_FROM_WIN32(ERROR_TIMEOUT))
-- @tparam ?boolean idle what CheckIdle said, or nil
-- @tparam ?hresult idle_hr CheckIdle's failure
function M.health(ctx, lib, healthy, health_hr, idle, idle_hr)
  local function opt_hr(hr) return hr and M.hresult(hr) or json.null end
  local function opt_bool(b) if b == nil then return json.null end return b end
  if ctx.json then
    ctx:emit({ type = "health", library = lib, healthy = opt_bool(healthy),
               health_error = opt_hr(health_hr), idle = opt_bool(idle), idle_error = opt_hr(idle_hr) })
    return
  end
  ctx:line(("%s: %s, %s"):format(lib,
    healthy and "healthy" or healthy == false and "unhealthy" or "health unknown",
    idle and "idle" or idle == false and "busy" or "idle state unknown"))
  if health_hr then ctx:line("  CheckHealth  " .. tostring(health_hr)) end
  if idle_hr then ctx:line("  CheckIdle    " .. tostring(idle_hr)) end
end

--- Prints a library call that failed: an interface it refused, or its
-- Shutdown.
-- @param ctx the command's output context
-- @string lib the library's path
-- @string what the call
-- @tparam hresult hr what it returned
function M.library_failure(ctx, lib, what, hr)
  if ctx.json then
    ctx:emit({ type = "error", library = lib, call = what, result = M.hresult(hr) })
  else
    ctx:line(("%s: %s returned %s"):format(lib, what, tostring(hr)))
  end
end

return M
