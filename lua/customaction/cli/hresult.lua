--- The `customaction hresult` command: decodes HRESULTs and Win32 error
-- codes.
--
-- @module customaction.cli.hresult

local ca = require "customaction"
local args = require "customaction.cli.args"
local errors = require "customaction.cli.errors"
local show = require "customaction.cli.show"

local EXIT = errors.EXIT

-- What a shell user may type, for the messages.
local HRESULT_FORMS = "a name such as E_ACCESSDENIED or 'HRESULT_FROM_WIN32(ERROR_NOT_FOUND)', " ..
  "or a 32-bit integer such as 0x80070005 or -2147024891"
local WIN32_FORMS = "a name such as ERROR_NOT_FOUND, or a number such as 5 or 0x490"

-- The HRESULT `text` gives, or nil and why not.
local function parse_value(text, win32)
  local n = tonumber(text)
  if win32 then
    local ok, hr = pcall(ca.hresult.from_win32, n or text)
    if ok then return hr end
    return nil, ("%s is not a Win32 error code (expected %s)"):format(args.quote(text), WIN32_FORMS)
  end
  local ok, hr = pcall(ca.hresult, n or text)
  if ok then return hr end
  if text:match("^ERROR_") and pcall(ca.hresult.from_win32, text) then
    return nil, ("%s is a Win32 error code: decode it with --win32"):format(args.quote(text))
  end
  return nil, ("%s is not an HRESULT (expected %s)"):format(args.quote(text), HRESULT_FORMS)
end

return {
  {
    name = "hresult",
    synopsis = "hresult [--win32] VALUE...",
    summary = "decode HRESULTs (or Win32 error codes with --win32)",
    operands = { "VALUE" },
    variadic = true,
    any_bytes = { VALUE = true },   -- a value that is not text is not an HRESULT either
    json = { "values", "errors" },
    options = { win32 = { help = "each VALUE is a Win32 error code, shown as HRESULT_FROM_WIN32 of it" } },
    help = [[
Prints the name, value, severity, facility, code and message of each
VALUE: an integer (decimal, or hexadecimal with 0x; the signed or the
unsigned 32-bit form) or a name such as E_ACCESSDENIED. With --win32 each
VALUE is a Win32 error code (a number or a name such as ERROR_NOT_FOUND).
Exits 0 when every VALUE decodes (failure codes included); otherwise
prints the values that decode, names each one that does not on stderr
and exits 2.]],
    run = function(ctx, opts, argv)
      local bad, shown = {}, 0
      for _, text in ipairs(argv) do
        local hr, why = parse_value(text, opts.win32)
        if not hr then
          bad[#bad + 1] = why
          if ctx.json then ctx:emit({ type = "error", input = text, message = why }) end
        elseif ctx.json then
          local obj = show.hresult(hr)
          obj.type, obj.input = "hresult", text
          if opts.win32 then obj.win32 = tonumber(text) or text end
          ctx:emit(obj)
        else
          if shown > 0 then ctx:line("") end
          show.hresult_text(ctx, hr, opts.win32 and text)
          shown = shown + 1
        end
      end
      if #bad > 0 then
        local e = errors.new("usage", table.concat(bad, "\n"))
        error(e, 0)
      end
      return EXIT.ok
    end,
  },
}
