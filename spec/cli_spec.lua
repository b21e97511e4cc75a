-- The customaction command, run as a user runs it: a child process of the
-- Lua under test, with its output, its stderr and its exit status checked.
-- JSON output is read back with dkjson, a decoder we did not write.
local ca = require "customaction"
local json = require "dkjson"
local support = require "support"

-- The examples are written as POSIX shell words. On Windows `cli` splits
-- them (support.words) and starts the command through cmd.exe with the
-- line in UTF-16 (support.run); what needs a POSIX shell or signals is
-- pending there, each with its reason (posix_only).
local function posix_only(reason)
  return support.windows and function(name)
    pending(name .. ": " .. support.posix_only(reason))
  end or it
end

-- Ctrl-C is sent as a shell does, by kill -INT.
local it_ctrl_c = posix_only("sends Ctrl-C as SIGINT (kill -INT); Windows raises it as a console " ..
                             "event, which cannot be sent to one child of cmd.exe")

local LUA = os.getenv("CHILD_LUA") or "lua5.4"
local unpack = table.unpack or unpack

-- The README/docs sessions, whose output depends on a library thread's
-- 20 ms timing against the command's (no response after the stop),
-- pending where the children run emulated (make x86: qemu-i386), which
-- stretches one side and not the other.
local it_timed = support.emulator and function(name)
  pending(name .. ": its timing does not hold under emulation (" .. support.emulator .. ")")
end or it

-- Runs a POSIX shell line; returns its stdout, its stderr and its exit
-- status.
local shell = support.shell

-- Runs `customaction ARGS` (ARGS as shell words).
local function cli(args)
  if support.windows then
    return support.run({ LUA, "bin/customaction", unpack(support.words(args)) })
  end
  return shell(LUA .. " bin/customaction " .. args)
end

local function lines(s)
  local t = {}
  for line in s:gmatch("([^\n]*)\n") do t[#t + 1] = line end
  return t
end

-- --json-lines: every line one JSON object
local function objects(out)
  local t = {}
  for i, line in ipairs(lines(out)) do
    local obj, _, err = json.decode(line, 1, json.null)
    assert(type(obj) == "table", ("line %d is not a JSON object (%s): %s"):format(i, tostring(err), line))
    t[i] = obj
  end
  return t
end

local PYTHON = not support.windows and os.execute("command -v python3 >/dev/null 2>&1")
PYTHON = PYTHON == true or PYTHON == 0

-- --json: the whole output is one JSON document, UTF-8 throughout (read
-- back by dkjson, and by Python's strict reader where there is one)
local function document(out)
  assert.is_true((pcall(ca.utf16.encode, out)), "the output is not UTF-8")
  local obj, pos, err = json.decode(out, 1, json.null)
  assert(type(obj) == "table", ("not a JSON document (%s): %s"):format(tostring(err), out))
  assert.equal("", out:sub(pos):match("^%s*(.-)$"), "more after the document")
  if PYTHON then
    local name = os.tmpname()
    local f = assert(io.open(name, "wb"))
    f:write(out)
    f:close()
    local _, err2, code = shell("python3 -m json.tool " .. name .. " >/dev/null")
    os.remove(name)
    assert.equal(0, code, err2)
  end
  return obj
end

-- what the JSON object of an HRESULT must hold, from the module itself
local function expected_hresult(hr)
  local aliases = {}
  for i, a in ipairs(hr.aliases) do aliases[i] = a end
  return { name = hr.name or json.null, aliases = aliases, hex = ("0x%08X"):format(hr.value), value = hr.value,
           signed = hr.value >= 0x80000000 and hr.value - 0x100000000 or hr.value,
           severity = hr.severity, failed = hr:failed(), customer = hr.customer,
           facility = hr.facility, facility_name = hr.facility_name or json.null,
           code = hr.code, message = hr.message }
end

-- The sample protocol manager (examples/pm) of the plain build the child
-- processes load (CA_SAMPLEPM may name a checker's build, which only a
-- checker's host can load).
local SAMPLE = support.pm_library("samplepm")

local function usage_error(args, pattern)
  local out, err, code = cli(args)
  assert.equal(2, code, err)
  assert.equal("", out)
  assert.matches(pattern, err)
  assert.matches("Try 'customaction[%w ]* %-%-help'", err)
end

-- Starts `customaction ARGS` in the background, waits (at most 10 s)
-- until its output holds `want`, then sends it Ctrl-C (SIGINT) and waits
-- for it, as a shell does; returns its stdout, stderr and exit status.
local function interrupt_after(args, want)
  local outfile = os.tmpname()
  local _, err, code = shell(("%s bin/customaction %s >%s & pid=$!; i=0; " ..
    "while ! grep -q '%s' %s && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; " ..
    "kill -INT $pid; wait $pid"):format(LUA, args, outfile, want, outfile))
  local f = assert(io.open(outfile))
  local out = f:read("*a")
  f:close()
  os.remove(outfile)
  return out, err, code
end

describe("customaction", function()
  it("--help lists every command and exits 0", function()
    local out, err, code = cli("--help")
    assert.equal(0, code)
    assert.equal("", err)
    for _, name in ipairs({ "hresult", "sim", "run", "stream", "health" }) do
      assert.matches("\n  " .. name .. " ", out)
    end
  end)

  it("--help on every command prints its usage on stdout", function()
    for _, name in ipairs({ "hresult", "sim", "run", "stream", "health" }) do
      local out, err, code = cli(name .. " --help")
      assert.equal(0, code, name)
      assert.equal("", err, name)
      assert.matches("^usage: customaction " .. name, out)
      assert.matches("%-%-json", out)
      assert.matches("%-%-json%-lines", out)
      assert.equal(out, (cli("help " .. name)))
    end
  end)

  it("--help keeps every option apart from its description", function()
    for _, name in ipairs({ "hresult", "sim", "run", "stream", "health" }) do
      local out = cli(name .. " --help")
      local options = out:match("\noptions:\n(.*)$")
      for _, line in ipairs(lines(options)) do
        if line:match("^  %-%-") then
          -- an option, its placeholder, then two spaces and its help, or
          -- nothing (the help on the next line)
          assert.is_truthy(line:match("^  %-%-[%w-]+ ?[%u=:_]*$") or
                           line:match("^  %-%-[%w-]+ ?[%u=:_]*   *%l"), name .. ": " .. line)
        else
          assert.matches("^                         %l", line, name)
        end
      end
    end
  end)

  it("--version prints the module's version", function()
    assert.equal("customaction " .. ca._VERSION .. "\n", (cli("--version")))
    for _, line in ipairs({ "--json --version", "--version --json", "--version --json-lines" }) do
      assert.same({ version = ca._VERSION }, document((cli(line))), line)
    end
  end)

  it("--paths prints ca.paths(), the files a native host's build needs", function()
    local out, _, code = cli("--paths")
    assert.equal(0, code)
    local p = objects((cli("--json --paths")))[1]
    assert.matches("/lua/customaction/init%.lua$", p.module)
    assert.matches("/include$", p.include)
    assert.matches("^module  " .. p.module:gsub("%p", "%%%0") .. "\ncore    .*\nluapm   .*\ninclude "
      .. p.include:gsub("%p", "%%%0") .. "\n$", out)
  end)

  it("exits 2 with a message on stderr for usage errors", function()
    usage_error("", "missing COMMAND")
    usage_error("frobnicate", "no command 'frobnicate'")
    usage_error("--frob hresult 0", "unknown option %-%-frob")
    usage_error("hresult --frob 0", "customaction hresult: unknown option %-%-frob")
    usage_error("sim", "customaction sim: missing ACTION")
    usage_error("sim Counters x y", "unexpected argument 'y'")
    usage_error("sim Counters --count 0", "option %-%-count expects a whole number >= 1, got '0'")
    usage_error("sim Counters --count", "option %-%-count needs a value")
    usage_error("sim Counters --timeout -1", "option %-%-timeout expects seconds >= 0, got '%-1'")
    usage_error("sim Counters --decode nope", "option %-%-decode expects one of auto, raw, utf16, hex, records")
    usage_error("sim Counters --json=yes", "option %-%-json takes no value")
    usage_error("run", "customaction run: missing LIB")
    usage_error("run lib.so Listing --setting nope", "option %-%-setting expects NAME=VALUE, got 'nope'")
    usage_error("--json --json-lines sim Counters", "%-%-json and %-%-json%-lines cannot be used together")
  end)

  posix_only("a Windows command line is UTF-16 text: no bytes that are not UTF-8 can be typed there")(
      "exits 2 naming an action, argument or setting that is not UTF-8 text", function()
    usage_error("sim \"$(printf 'a\\377')\"", "customaction sim: ACTION 'a\\xFF' is not UTF%-8 text")
    usage_error("sim --once Echo \"$(printf '\\300\\200')\"", "ARG '\\xC0\\x80' is not UTF%-8 text")
    usage_error("run lib.so \"$(printf '\\355\\240\\200')\"", "ACTION '\\xED\\xA0\\x80' is not UTF%-8")
    usage_error(("run %s AppPool --setting APP_POOL_NAME=\"$(printf 'x\\377')\""):format(SAMPLE),
      "setting APP_POOL_NAME 'x\\xFF' is not UTF%-8 text")
  end)
end)

describe("customaction hresult", function()
  it("prints name, value, severity, facility, code and message", function()
    local out, err, code = cli("hresult 0x80070005")
    assert.equal(0, code, err)
    assert.equal(table.concat({
      "E_ACCESSDENIED",
      "  aliases   HRESULT_FROM_WIN32_ERROR_ACCESS_DENIED",
      "  value     0x80070005 (2147942405, signed -2147024891)",
      "  severity  1 (failure)",
      "  facility  7 (WIN32)",
      "  code      5 (0x0005)",
      "  message   " .. ca.E_ACCESSDENIED.message, "" }, "\n"), out)
  end)

  it("takes every form ca.hresult takes, and decimal numbers", function()
    local first = cli("hresult 0x80070005")
    for _, form in ipairs({ "E_ACCESSDENIED", "2147942405", "-2147024891", "0X80070005",
                            "'HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)'" }) do
      local out, err, code = cli("hresult " .. form)
      assert.equal(0, code, err)
      assert.equal(first, out, form)
    end
  end)

  it("decodes several values, failures and successes alike, and exits 0", function()
    local out, _, code = cli("hresult S_OK E_FAIL 0xA0661234")
    assert.equal(0, code)
    assert.matches("^S_OK\n.-\n\nE_FAIL\n.-\n\n0xA0661234\n.-customer bit set.-AUDIO", out)
  end)

  it("--win32 wraps Win32 codes, by number or name", function()
    local out, _, code = cli("hresult --win32 5 ERROR_NOT_FOUND")
    assert.equal(0, code)
    assert.matches("^E_ACCESSDENIED\n  aliases   [%w_]+\n  win32     5, as HRESULT_FROM_WIN32\n", out)
    assert.matches("\n\nE_NOT_SET\n  aliases   HRESULT_FROM_WIN32_ERROR_NOT_FOUND\n" ..
                   "  win32     ERROR_NOT_FOUND, as HRESULT_FROM_WIN32\n  value     0x80070490", out)
  end)

  it("--json prints one document with every value; --json-lines one object per line", function()
    local out, _, code = cli("--json hresult 0x80070005 -1 S_FALSE")
    assert.equal(0, code)
    local doc = document(out)
    assert.equal("hresult", doc.command)
    assert.same({}, doc.errors)
    assert.equal(3, #doc.values)
    for i, input in ipairs({ "0x80070005", "-1", "S_FALSE" }) do
      local want = expected_hresult(ca.hresult(tonumber(input) or input))
      want.type, want.input = "hresult", input
      assert.same(want, doc.values[i])
    end
    assert.same(doc.values, objects((cli("--json-lines hresult 0x80070005 -1 S_FALSE"))))
    local win32 = document((cli("hresult --json --win32 1168"))).values[1]
    assert.equal(1168, win32.win32)
    assert.equal("E_NOT_SET", win32.name)
  end)

  it("prints the values that decode and names the ones that do not, exit 2", function()
    local out, err, code = cli("hresult --win32 5 0 ERROR_BOGUS")
    assert.equal(2, code)
    assert.matches("^E_ACCESSDENIED\n.-\n\nS_OK\n  win32     0, as HRESULT_FROM_WIN32\n.-message   success\n$", out)
    assert.matches("^customaction hresult: 'ERROR_BOGUS' is not a Win32 error code %(expected a name such " ..
                   "as ERROR_NOT_FOUND, or a number such as 5 or 0x490%)\nTry", err)
    local doc = document((cli("--json hresult E_NOPE S_OK 1.5")))
    assert.equal(1, #doc.values)
    assert.equal("S_OK", doc.values[1].input)
    assert.equal(2, #doc.errors)
    assert.equal("E_NOPE", doc.errors[1].input)
    assert.matches("^'E_NOPE' is not an HRESULT", doc.errors[1].message)
    assert.equal("1.5", doc.errors[2].input)
  end)

  it("says what to type, in a shell user's words", function()
    local _, err = cli("hresult E_NOPE")
    assert.matches("'E_NOPE' is not an HRESULT %(expected a name such as E_ACCESSDENIED or " ..
                   "'HRESULT_FROM_WIN32%(ERROR_NOT_FOUND%)', or a 32%-bit integer such as 0x80070005", err)
    assert.not_matches("HRESULT value", err)
  end)

  it("exits 2 naming a value that does not parse", function()
    usage_error("hresult E_NOPE", "'E_NOPE' is not an HRESULT %(expected a name")
    usage_error("hresult 1.5", "'1.5' is not an HRESULT")
    usage_error("hresult 0x100000000", "is not an HRESULT")
    usage_error("hresult --win32 ERROR_NOPE", "'ERROR_NOPE' is not a Win32 error code")
    usage_error("hresult ERROR_NOT_FOUND", "'ERROR_NOT_FOUND' is a Win32 error code: decode it with %-%-win32")
    usage_error("hresult", "missing VALUE")
  end)
end)

describe("customaction sim", function()
  it("streams until --count, then unregisters and reports", function()
    local out, err, code = cli("sim Counters --count 3")
    assert.equal(0, code, err)
    local l = lines(out)
    assert.equal(6, #l, out)
    local last = -1
    for i = 1, 3 do
      local t, rest = l[i]:match("^%s*(%d+%.%d%d%d)  (.*)$")
      assert.equal("S_OK  requests=" .. i, rest)
      assert.is_true(tonumber(t) > last)
      last = tonumber(t)
    end
    assert.matches("^Counters: 3 responses %(30 bytes%) in %d+%.%d+ s, stopped after %-%-count 3$", l[4])
    assert.equal("  unregister  " .. tostring(ca.S_OK), l[5])
    assert.equal("  final       " .. tostring(ca.E_ABORT), l[6])
  end)

  it("ends with the action's final response", function()
    local out, err, code = cli("sim GetRequests")
    assert.equal(0, code, err)
    assert.matches("^%s*%d+%.%d+  S_OK  %(final%)\n  GET /index.htm 200 12ms\n  GET /api/items", out)
    assert.matches("\nGetRequests: 1 response %(178 bytes%) in [%d.]+ s, ended by its final response\n", out)
    assert.matches("\n  final       S_OK", out)
    assert.not_matches("unregister", out)
  end)

  it("exits 1 when the action fails, or the issuer refuses it", function()
    local out, _, code = cli("sim Fail")
    assert.equal(1, code)
    assert.matches("HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE  the service is not running  %(final%)", out)
    out, _, code = cli("sim NoSuchAction")
    assert.equal(1, code)
    assert.equal("NoSuchAction: RegisterCustomActionCallback returned " .. tostring(ca.E_NOT_SET) .. "\n", out)
  end)

  it("stops after --timeout seconds", function()
    local out, err, code = cli("sim Counters --timeout 0.25")
    assert.equal(0, code, err)
    local n = tonumber(out:match("Counters: (%d+) responses"))
    assert.is_true(n >= 1 and n <= 3, out)
    assert.matches("stopped after %-%-timeout 0%.25 s", out)
  end)

  it("--once runs the action once and decodes UTF-16", function()
    local out, err, code = cli("sim --once GetRequests")
    assert.equal(0, code, err)
    assert.matches("^GetRequests: S_OK %(0x00000000%): success %(178 bytes, utf16, [%d.]+ s%)\n" ..
                   "GET /index.htm 200 12ms\nGET /api/items 200 3ms\n", out)
    out, err, code = cli("sim --once Fail")
    assert.equal(1, code, err)
    assert.matches("^Fail: HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE", out)
  end)

  it("--json prints one document: the responses, then the report", function()
    local out, err, code = cli("sim Counters --count 2 --json")
    assert.equal(0, code, err)
    local doc = document(out)
    assert.equal("sim", doc.command)
    local got = doc.responses
    assert.equal(2, #got)
    got[3] = doc.report
    for i = 1, 2 do
      assert.equal("response", got[i].type)
      assert.equal("Counters", got[i].action)
      assert.equal(i, got[i].n)
      assert.equal("requests=" .. i, got[i].response)
      assert.equal("raw", got[i].decode)
      assert.equal(10, got[i].bytes)
      assert.is_false(got[i].final)
      assert.same(expected_hresult(ca.S_OK), got[i].status)
      assert.is_number(got[i].time)
    end
    local report = got[3]
    assert.equal("report", report.type)
    assert.equal("register", report.call)
    assert.equal("count", report.ended)
    assert.equal(2, report.responses)
    assert.equal(20, report.bytes)
    assert.same(expected_hresult(ca.S_OK), report.result)
    assert.same(expected_hresult(ca.S_OK), report.unregister)
    assert.same(expected_hresult(ca.E_ABORT), report.final)
  end)

  it("--json-lines prints each response as a line, then the report", function()
    local out, err, code = cli("--json-lines sim Counters --count 2")
    assert.equal(0, code, err)
    local got = objects(out)
    assert.equal(3, #got)
    assert.same({ "response", "response", "report" }, { got[1].type, got[2].type, got[3].type })
    assert.equal("requests=2", got[2].response)
    assert.equal("count", got[3].ended)
  end)

  it("--json of a one-shot run is one document too", function()
    local out, err, code = cli("--json sim --once GetRequests")
    assert.equal(0, code, err)
    local doc = document(out)
    assert.equal(1, #doc.responses)
    assert.equal("utf16", doc.responses[1].decode)
    assert.equal("run", doc.report.call)
    assert.same(expected_hresult(ca.S_OK), doc.report.final)
  end)

  it("--json gives bytes that are not UTF-8 in hex, and says so", function()
    -- "hé" in UTF-16LE is 68 00 E9 00: not UTF-8
    local got = document((cli("sim Echo 'hé' --json --decode raw"))).responses
    assert.equal("hex", got[1].decode)
    assert.equal("6800e900", got[1].response)
    got = document((cli("sim Echo 'hi' --json --decode raw"))).responses
    assert.equal("raw", got[1].decode)
    assert.equal("h\0i\0", got[1].response)
  end)

  it("--decode hex prints a hexdump, utf16 and auto decode text", function()
    local out = cli("sim Echo hi --decode hex")
    assert.matches("\n  0000  68 00 69 00 +h%.i%.\n", out)
    assert.equal("hi", objects((cli("sim Echo hi --json-lines --decode utf16")))[1].response)
    assert.equal("utf16", objects((cli("sim Echo hi --json-lines")))[1].decode)
    assert.equal("68006900", objects((cli("sim Echo hi --json-lines --decode hex")))[1].response)
  end)

  it("shows a live progress line on request, plain lines otherwise", function()
    local out = cli("sim Counters --count 2 --progress")
    assert.matches("^\r\27%[KCounters  #1  [%d.]+ s  S_OK  requests=1" ..
                   "\r\27%[KCounters  #2  [%d.]+ s  S_OK  requests=2\n" ..
                   "Counters: 2 responses", out)
    out = cli("sim Counters --count 2")   -- stdout is a pipe here
    assert.not_matches("\r", out)
  end)

  it_ctrl_c("unregisters on Ctrl-C, prints the report and exits 130", function()
    local out, err, code = interrupt_after("sim Counters", "requests=3")
    assert.equal(130, code, err)
    assert.matches("  requests=3\n", out)
    assert.matches("\nCounters: %d+ responses %(%d+ bytes%) in [%d.]+ s, stopped by Ctrl%-C\n", out)
    assert.matches("\n  unregister  S_OK", out)
    assert.matches("\n  final       E_ABORT", out)
  end)
end)


describe("customaction run, stream and health", function()
  describe("run", function()
    it("decodes the application-domain listing as records", function()
      local out, err, code = cli(("run %s Listing '1/ROOT;2/ROOT/shop' --application 1/ROOT=1:/ " ..
                                  "--application 2/ROOT/shop=2:/shop --decode records"):format(SAMPLE))
      assert.equal(0, code, err)
      assert.equal(table.concat({
        "Listing: S_OK (0x00000000): success (212 bytes, records, T s)",
        "site 1  busy  /LM/W3SVC/1/ROOT  /  C:\\inetpub\\site1",
        "site 2  idle  /LM/W3SVC/2/ROOT/shop  /shop  C:\\inetpub\\site2\\shop", "" }, "\n"),
        (out:gsub("%d+%.%d%d%d s%)", "T s)")))
    end)

    it("gives the records as a JSON list", function()
      local out, err, code = cli(("--json run %s Listing 2/ROOT/shop --application 2/ROOT/shop=2:/shop " ..
                                  "--decode records"):format(SAMPLE))
      assert.equal(0, code, err)
      local doc = document(out)
      local got = { doc.responses[1], doc.report }
      assert.equal(1, #doc.responses)
      assert.same({}, doc.requests)
      assert.equal("records", got[1].decode)
      assert.same({ { site = 2, idle = false, id = "/LM/W3SVC/2/ROOT/shop", vpath = "/shop",
                      path = "C:\\inetpub\\site2\\shop" } }, got[1].response)
      assert.equal("report", got[2].type)
      assert.equal("run", got[2].call)
      assert.same(expected_hresult(ca.S_OK), got[2].result)
    end)

    it("hands --setting values to the library", function()
      local out, err, code = cli(("run %s AppPool --setting APP_POOL_NAME=FromTheShell"):format(SAMPLE))
      assert.equal(0, code, err)
      assert.matches("^AppPool: S_OK %(0x00000000%): success %(24 bytes, utf16, [%d.]+ s%)\nFromTheShell\n$", out)
    end)

    it("shows that the library called FailWorkerProcess or RecycleWorkerProcess, and exits 3", function()
      local out, err, code = cli(("run %s Fail 'worn out'"):format(SAMPLE))
      assert.equal(3, code, err)
      assert.equal(table.concat({
        "Fail: S_OK (0x00000000): success (0 bytes, null, T s)",
        "(NULL buffer)",
        SAMPLE .. ': the library called FailWorkerProcess (reason "worn out", ' .. tostring(ca.E_FAIL) .. ")",
        "" }, "\n"), (out:gsub("%d+%.%d%d%d s%)", "T s)")))
      out, err, code = cli(("run %s Recycle soon"):format(SAMPLE))
      assert.equal(3, code, err)
      assert.matches("\n%(NULL buffer%)\n" .. SAMPLE:gsub("%p", "%%%0") ..
                     ': the library called RecycleWorkerProcess %(reason "soon"%)\n$', out)
      local doc = document((cli(("--json run %s Fail bye"):format(SAMPLE))))
      assert.same({ { type = "request", library = SAMPLE, call = "FailWorkerProcess", reason = "bye",
                      status = expected_hresult(ca.E_FAIL), fail_on_next_ping = false } }, doc.requests)
      assert.equal("null", doc.responses[1].decode)
      doc = document((cli(("--json run %s Recycle soon"):format(SAMPLE))))
      assert.same({ { type = "request", library = SAMPLE, call = "RecycleWorkerProcess", reason = "soon",
                      status = json.null, fail_on_next_ping = json.null } }, doc.requests)
    end)

    posix_only("loads tests/pm/edgepm.c, which uses POSIX threads and is not built for Windows")(
        "shows a NULL reason as NULL, and null in JSON", function()
      local edge = (os.getenv("CA_BUILD") or "build") .. "/pm/edgepm.so"   -- tests/pm/edgepm.c
      local out, err, code = cli(("run %s RecycleNull"):format(edge))
      assert.equal(3, code, err)
      assert.matches(": the library called RecycleWorkerProcess %(reason NULL%)\n$", out)
      local doc = document((cli(("--json run %s FailNull"):format(edge))))
      assert.same({ { type = "request", library = edge, call = "FailWorkerProcess", reason = json.null,
                      status = expected_hresult(ca.E_FAIL), fail_on_next_ping = true } }, doc.requests)
    end)

    it("takes every setting the module lists, as the kind the module gives", function()
      local text = { string = "text", dword = "4294967295", ulonglong = "123456789012",
                     boolean = "true", handle = "0" }
      local parts = {}
      for name, kind in pairs(ca.load_settings()) do
        parts[#parts + 1] = ("--setting %s=%s"):format(name, assert(text[kind], kind))
      end
      local out, err, code = cli(("run %s AppPool %s"):format(SAMPLE, table.concat(parts, " ")))
      assert.equal(0, code, err)
      assert.matches("\ntext\n$", out)
      usage_error(("run %s AppPool --setting IDLE_TIMEOUT=4294967296"):format(SAMPLE),
        "setting IDLE_TIMEOUT expects a whole number from 0 to 4294967295, got '4294967296'")
      usage_error(("run %s AppPool --application 1/ROOT=4294967296:/"):format(SAMPLE),
        "option %-%-application: SITE expects a whole number from 0 to 4294967295, got '4294967296'")
    end)

    posix_only("a path that is not UTF-8 exists only where paths are bytes (Windows' are UTF-16)")(
        "--json gives a library path that is not UTF-8 with U+FFFD for each bad byte", function()
      local link = os.tmpname()
      os.remove(link)
      link = link .. "-lib\255.so"
      assert.equal(0, select(3, shell(("ln -s \"$(pwd)/%s\" '%s'"):format(SAMPLE, link))))
      local out, err, code = cli(("--json health '%s'"):format(link))
      os.remove(link)
      assert.equal(0, code, err)
      local doc = document(out)
      assert.equal((link:gsub("\255", "\239\191\189")), doc.health.library)
    end)

    it("exits 1 with the HRESULT when the library refuses the action", function()
      local out, _, code = cli(("run %s NoSuchAction"):format(SAMPLE))
      assert.equal(1, code)
      assert.equal("NoSuchAction: RunCustomAction returned " .. tostring(ca.E_NOTIMPL) .. "\n", out)
    end)

    it("exits 1 with the loader's message when the library does not load", function()
      local out, err, code = cli("run ./no-such-library.so Echo")
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^customaction: cannot load protocol manager '%./no%-such%-library%.so'", err)
    end)

    it("exits 2 for settings and applications it cannot hand over", function()
      usage_error(("run %s Echo --setting NO_SUCH=1"):format(SAMPLE), "unknown setting 'NO_SUCH'")
      usage_error(("run %s Echo --setting IDLE_TIMEOUT=soon"):format(SAMPLE),
        "setting IDLE_TIMEOUT expects a whole number from 0 to 4294967295, got 'soon'")
      usage_error(("run %s Echo --setting ENABLED_HOSTABLE_WEB_CORE=maybe"):format(SAMPLE),
        "setting ENABLED_HOSTABLE_WEB_CORE expects true or false")
      usage_error(("run %s Echo --application 1/ROOT"):format(SAMPLE),
        "option %-%-application expects APPID=SITE:VPATH, got '1/ROOT'")
    end)
  end)

  describe("stream", function()
    it("prints the library's responses until its final one", function()
      local out, err, code = cli(("stream %s Counters 'every=20;count=3'"):format(SAMPLE))
      assert.equal(0, code, err)
      local l = lines(out)
      assert.matches("^%s*[%d.]+  S_OK  n=1$", l[1])
      assert.matches("^%s*[%d.]+  S_OK  n=3  %(final%)$", l[3])
      assert.matches("^Counters: 3 responses %(9 bytes%) in [%d.]+ s, ended by its final response$", l[4])
    end)

    it("unregisters after --count, and the library's Shutdown balances", function()
      local out, err, code = cli(("--json stream %s Ticker every=20 --count 2"):format(SAMPLE))
      assert.equal(0, code, err)
      local doc = document(out)
      local got = doc.responses
      assert.equal(2, #got)
      got[3] = doc.report
      assert.equal("tick 2", got[2].response)
      assert.equal("count", got[3].ended)
      assert.same(expected_hresult(ca.S_OK), got[3].unregister)
      assert.same(expected_hresult(ca.E_ABORT), got[3].final)
    end)

    posix_only("closes the command's output with head(1), SIGPIPE ignored by trap, under timeout(1)")(
        "ends with exit 1, after unregistering, when its output is gone (SIGPIPE ignored)", function()
      local out, err = shell(("trap '' PIPE; { timeout 10 %s bin/customaction stream %s Ticker every=20; " ..
                              "echo \"status:$?\" >&2; } | head -1"):format(LUA, SAMPLE))
      assert.matches("^%s*[%d.]+  S_OK  tick 1\n$", out)
      assert.matches("status:1\n", err)
      assert.matches("customaction: cannot write the output: .*; Ticker unregistered: S_OK", err)
    end)

    it_ctrl_c("unregisters on Ctrl-C and exits 130", function()
      local out, err, code = interrupt_after(("stream %s Ticker every=100"):format(SAMPLE), "tick 3")
      assert.equal(130, code, err)
      assert.matches("  tick 3\n", out)
      assert.matches("stopped by Ctrl%-C\n  unregister  S_OK.-\n  final       E_ABORT", out)
    end)
  end)

  describe("health", function()
    it("reports health and idle state", function()
      local out, err, code = cli("health " .. SAMPLE)
      assert.equal(0, code, err)
      assert.equal(SAMPLE .. ": healthy, idle\n", out)
      local doc = document((cli("health --json " .. SAMPLE)))
      assert.same({ type = "health", library = SAMPLE, healthy = true, idle = true,
                    health_error = json.null, idle_error = json.null }, doc.health)
      assert.same({ command = "health", health = doc.health, requests = {}, errors = {} }, doc)
    end)
  end)
end)

describe("the sessions README.md and docs/cli.md show", function()
  -- every "$ customaction ..." in a code block, with the output below it;
  -- times (seconds with three decimals) may differ. A last line
  -- "[exit N]" or "[exit N; stderr: TEXT]" gives the exit status (0 when
  -- there is none) and the first line of stderr.
  local function sessions(path)
    local f = assert(io.open(path))
    local text = f:read("*a")
    f:close()
    local found, fenced, current = {}, false, nil
    for line in text:gmatch("([^\n]*)\n") do
      if line:match("^```") then
        fenced, current = not fenced, nil
      elseif fenced then
        local args = line:match("^%$ bin/customaction (.*)$") or line:match("^%$ customaction (.*)$")
        local status, rest = line:match("^%[exit (%d+)(.*)%]$")
        if args then
          current = { args = args, out = {}, code = 0 }
          found[#found + 1] = current
        elseif current and status then
          current.code, current.err = tonumber(status), rest:match("^; stderr: (.*)$")
        elseif current then
          current.out[#current.out + 1] = line
        end
      end
    end
    return found
  end
  local function untimed(s)
    return (s:gsub("%d+%.%d%d%d", "T"))
  end

  for _, path in ipairs({ "README.md", "docs/cli.md" }) do
    it_timed("in " .. path .. " are what the command prints", function()
      local found = sessions(path)
      assert.is_true(#found > 0, path .. " shows no session")
      for _, s in ipairs(found) do
        local out, err, code = cli((s.args:gsub("build/pm/samplepm%.so", SAMPLE)))
        assert.equal(s.code, code, err)
        if s.err then assert.equal(s.err, err:match("^[^\n]*"), s.args) end
        out = out:gsub(SAMPLE:gsub("%p", "%%%0"), "build/pm/samplepm.so")
        assert.equal(untimed(table.concat(s.out, "\n") .. "\n"), untimed(out), s.args)
      end
    end)
  end
end)

describe("ca.load_settings", function()
  it("gives the kind of value each framework setting takes", function()
    local kinds = ca.load_settings()
    local n = 0
    for _ in pairs(kinds) do n = n + 1 end
    assert.equal(17, n)
    assert.equal("string", kinds.APP_POOL_NAME)
    assert.equal("dword", kinds.IDLE_TIMEOUT)
    assert.equal("ulonglong", kinds.PERIODIC_RESTART_PRIVATE_MEMORY)
    assert.equal("boolean", kinds.ENABLED_HOSTABLE_WEB_CORE)
    assert.equal("handle", kinds.ANONYMOUS_USER_TOKEN)
  end)
end)

describe("customaction.json", function()
  local encoder = require "customaction.json"

  it("replaces each byte that is not well-formed UTF-8 with U+FFFD", function()
    local R = "\239\191\189"
    for input, want in pairs({
      ["plain"] = "plain", ["h\195\169"] = "h\195\169", ["\240\159\152\128"] = "\240\159\152\128",
      ["a\255b"] = "a" .. R .. "b",                     -- never a UTF-8 byte
      ["\192\128"] = R .. R,                             -- overlong NUL
      ["\237\160\128"] = R .. R .. R,                   -- a surrogate
      ["\244\144\128\128"] = R .. R .. R .. R,         -- above U+10FFFF
      ["\226\130"] = R .. R,                             -- cut short
    }) do
      assert.equal(want, (encoder.utf8(input)))
      assert.equal('"' .. want .. '"', encoder.encode(input))
    end
  end)
end)
