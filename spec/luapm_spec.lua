-- ca.load of luapm.so: a protocol manager written in Lua, driven through
-- the real native loading path. The library runs examples/luapm.lua (the
-- copy make puts beside it) in a Lua state on a thread of its own; this
-- state reaches it only through the interfaces ca.load hands out, and its
-- answers come back from the library's thread through the report queue.
local ca = require "customaction"
local support = require "support"

-- CA_LUAPM: the checkers' build of it, loaded into their host; a child
-- interpreter loads the ordinary build
local PLAIN = (os.getenv("CA_BUILD") or "build") .. "/customaction/luapm." .. support.libext
local LUAPM = os.getenv("CA_LUAPM") or PLAIN

local function wait_for(pred)
  for _ = 1, 200 do
    if pred() then return true end
    ca.wait(0.05)
  end
  return pred()
end

describe("ca.load of luapm.so", function()
  local pm
  before_each(function() pm = ca.load(LUAPM) end)
  after_each(function() pm:close() end)

  it("runs the script's actions from the library's thread", function()
    local acts = pm:custom_actions()
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:run("Echo", "hello", cb))
    assert.is_true(wait_for(function() return #got == 1 end))
    assert.same({ status = ca.S_OK, response = "hello", final = true }, got[1])
    assert.equal(ca.E_NOTIMPL, acts:run("Nope", "", cb))
    acts:close()
    -- the library's thread releases the callback after ReportResult returns
    assert.is_true(wait_for(function() return cb:stats().refs == 1 end))
  end)

  it("answers a binary listing that ca.reader decodes", function()
    local acts = pm:custom_actions()
    local listing
    acts:run("Listing", nil, function(_, response) listing = response end)
    assert.is_true(wait_for(function() return listing ~= nil end))
    local r = ca.reader(listing)
    assert.equal(2, r:u32())
    assert.same({ 1, 0 }, { r:u32(), r:u32() })
    assert.equal("/LM/W3SVC/1/ROOT", r:utf16(r:u32()))
    acts:close()
  end)

  it("streams a registration to its final report", function()
    local acts = pm:custom_actions2()
    local seen = {}
    for status, response, final in acts:stream("Counters", "count=3") do
      assert.equal(ca.S_OK, status)
      seen[#seen + 1] = response .. (final and "!" or "")
    end
    assert.same({ "requests=1", "requests=2", "requests=3!" }, seen)
    acts:close()
  end)

  it("unregisters: one final E_ABORT, then nothing", function()
    local acts = pm:custom_actions2()
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:register("Counters", "count=100000", cb))
    assert.is_true(wait_for(function() return #got >= 2 end))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS,
                 acts:register("Counters", "", support.recorder(ca)))
    assert.equal(ca.S_OK, acts:unregister("Counters"))
    assert.is_true(wait_for(function() return got[#got].final end))
    assert.equal(ca.E_ABORT, got[#got].status)
    local n = #got
    ca.wait(0.15)
    assert.equal(n, #got)
    assert.is_true(wait_for(function() return cb:stats().refs == 1 end))
    acts:close()
  end)

  it("checks health and idle through the script's functions", function()
    assert.is_true(pm:check_health())
    assert.is_true(pm:check_idle())
    local acts = pm:custom_actions2()
    local cb = support.recorder(ca)
    acts:register("Counters", "count=100000", cb)
    assert.is_false(pm:check_idle())   -- a stream is open
    acts:unregister("Counters")
    acts:close()
  end)

  -- framework AddRefs minus Releases the library made
  local function framework_held()
    local n = 0
    for _, e in ipairs(pm:log()) do
      if e.op == "AddRef" then n = n + 1 elseif e.op == "Release" then n = n - 1 end
    end
    return n
  end

  for _, immediate in ipairs({ false, true }) do
    local label = ("Shutdown(%s)"):format(immediate and "TRUE" or "FALSE")
    it(label .. " returns having ended open registrations and released the framework", function()
      local acts = pm:custom_actions2()
      local cb, got = support.recorder(ca)
      acts:register("Counters", "count=100000", cb)
      assert.is_true(wait_for(function() return #got > 0 end))
      assert.equal(1, framework_held())
      assert.equal(ca.S_OK, pm:shutdown(immediate))
      -- made before it returned: delivered without waiting, nothing later
      assert.equal(0, framework_held())
      ca.dispatch()
      assert.equal(1, cb:stats().refs)   -- (the queued reports held theirs)
      local n = #got
      assert.is_true(got[n].final)
      assert.equal(ca.E_ABORT, got[n].status)
      ca.wait(0.1)
      assert.equal(n, #got)
      assert.equal(ca.RPC_E_DISCONNECTED, acts:register("Counters", "", cb))
      acts:close()
    end)
  end
end)

describe("luapm.so", function()
  it("lets lua_close happen while it streams", function()
    local out, code = support.child({ "-e",
      "local ca = require 'customaction' " ..
      "local pm = ca.load(" .. ("%q"):format(PLAIN) .. ") " ..
      "local a = pm:custom_actions2() " ..
      "a:register('Counters', 'count=100000', function() end) " ..
      "ca.wait(0.1) print('closing')" })
    assert.equal(0, code, out)
    assert.matches("closing", out)
  end)
end)

-- The script's state finds the module's Lua files near the library, the
-- way they lie in a checkout (lua/ above the build tree) and in an
-- installed tree (<tree>/share/lua/5.x beside <tree>/lib/lua/5.x), in
-- front of whatever LUA_PATH says: they match the C code it carries.
describe("luapm.so's script state", function()
  -- a script that answers with the first entry of its package.path
  local WHERE = "local ca = require 'customaction'\n" ..
    "return ca.provider{ actions = { Where = function(_, reply)\n" ..
    "  return reply:finish(ca.S_OK, package.path:match('^[^;]*')) end } }\n"

  local function write(path, data)
    local f = assert(io.open(path, "wb"))
    f:write(data)
    f:close()
  end

  local function read(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
  end

  -- Loads the copy of luapm at lib (with WHERE beside it) and asks it.
  local function where(lib)
    write(lib:gsub("%.[^.]+$", ".lua"), WHERE)
    local lpm = ca.load(lib)
    local got
    lpm:custom_actions():run("Where", "", function(_, response) got = response end)
    assert.is_true(wait_for(function() return got ~= nil end))
    lpm:shutdown()
    lpm:close()
    return got
  end

  it("takes them from the checkout's lua/", function()
    local lib = LUAPM:gsub("luapm%.(%w+)$", "luapm_where.%1")
    write(lib, assert(read(LUAPM)))
    local first = where(lib)
    os.remove(lib)
    os.remove((lib:gsub("%.%w+$", ".lua")))
    assert.matches("[/\\]lua/%?%.lua$", first)
    assert.equal(read("lua/customaction/init.lua"),
                 read(first:gsub("%?", "customaction/init")))
  end)

  it("takes them from an installed tree's share/lua", function()
    if support.windows then
      pending(support.posix_only("the tree is made with mkdir -p and cp -r"))
      return
    end
    local ver = _VERSION:match("%d+%.%d+")
    local tree = (os.getenv("CA_BUILD") or "build") .. "/luapm_tree"
    local dir = tree .. "/lib/lua/" .. ver .. "/customaction"
    assert.is_true(os.execute(("rm -rf %s && mkdir -p %s %s/share/lua/%s && cp -r lua/customaction %s/share/lua/%s/")
      :format(tree, dir, tree, ver, tree, ver)) ~= false)
    write(dir .. "/luapm." .. support.libext, assert(read(LUAPM)))
    local first = where(dir .. "/luapm." .. support.libext)
    local tail = "/luapm_tree/lib/lua/" .. ver .. "/customaction/../../../../share/lua/" .. ver .. "/?.lua"
    assert.equal(tail, first:sub(-#tail))
    assert.equal(read("lua/customaction/init.lua"),
                 read(first:gsub("%?", "customaction/init")))
    os.execute("rm -rf " .. tree)
  end)

  it("lets the command run a script with LUA_PATH unset", function()
    if support.windows then
      pending(support.posix_only("env -u clears the variable"))
      return
    end
    local cmd = ("env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_INIT timeout 60 %s "
      .. "bin/customaction run %s Echo hello 2>&1; echo \"exit:$?\"")
      :format(os.getenv("CHILD_LUA") or "lua5.4", PLAIN)
    local f = support.popen(cmd)
    local out = f:read("*a")
    f:close()
    assert.matches("exit:0%s*$", out)
    assert.matches("\nhello\n", out, 1, true)
  end)
end)
