-- luapm.lua: a protocol manager written in Lua, for the luapm library
-- (build/customaction/luapm.so runs the script of its own base name
-- beside it, or the one CUSTOMACTION_LUAPM_SCRIPT names). It runs on the
-- library's own thread; native callers reach it from theirs.
--
--   Echo      (v1 or v2) the argument back, UTF-8
--   Counters  (v2) "count=N" responses "requests=1".."requests=N", one
--             every 20 ms, the last final; unregistering stops it
--   Listing   (v1) an application-domain listing, binary, the layout of
--             IIS's hosting protocol manager: DWORD count, then per record
--             DWORD site id, DWORD idle flag and three strings (domain id,
--             virtual path, physical path), each a DWORD character count
--             and UTF-16LE padded to a multiple of 4 bytes
--
-- The library passes the script its own path and the worker-process
-- framework (a light userdata, nil when the host gave none).
local ca = require "customaction"

local path = ...

local streams = {}   -- open Counters registrations

local domains = {
  { site = 1, idle = false, id = "/LM/W3SVC/1/ROOT", vpath = "/",
    ppath = [[C:\inetpub\wwwroot]] },
  { site = 2, idle = true, id = "/LM/W3SVC/2/ROOT/api", vpath = "/api",
    ppath = [[D:\sites\api]] },
}

local provider = ca.provider{
  name = "luapm sample",
  actions = {
    Echo = function(args, reply) return reply:finish(ca.S_OK, args) end,
    Counters = function(args, reply)
      local n = tonumber(args and args:match("count=(%d+)")) or 10
      streams[#streams + 1] = { reply = reply, left = n, sent = 0, due = 0 }
    end,
    Listing = function(_, reply)
      local w = ca.writer():u32(#domains)
      for _, d in ipairs(domains) do
        w:u32(d.site):u32(d.idle and 1 or 0)
        for _, s in ipairs({ d.id, d.vpath, d.ppath }) do
          w:u32(#ca.utf16.encode(s) / 2):utf16(s):align(4)
        end
      end
      return reply:finish(ca.S_OK, w:tostring())
    end,
  },
  health = function() return true end,
  idle = function() return #streams == 0 end,
  on_error = function(msg) io.stderr:write(path or "luapm.lua", ": ", msg, "\n") end,
}

-- Runs on the library's thread after every delivery round (<= 50 ms).
local clock = 0
local function step()
  clock = clock + 1
  for i = #streams, 1, -1 do
    local s = streams[i]
    if s.reply.done then
      table.remove(streams, i)   -- unregistered (E_ABORT already sent)
    elseif clock >= s.due then
      s.sent, s.left, s.due = s.sent + 1, s.left - 1, clock + 1
      s.reply:send(ca.S_OK, "requests=" .. s.sent, s.left == 0)
      if s.left == 0 then table.remove(streams, i) end
    end
  end
end

return provider, step
