-- The model-based protocol test: random sequences of operations run
-- against the module and against the reference model in protocol_model.lua.
--
--   CA_MODEL_SEED=n       replay sequence n only (both variants)
--   CA_MODEL_SCALE=f      run f times the sequences (make sanitize and
--                         make valgrind use less than 1)
--   CA_MODEL_VIRTUAL=n    virtual-clock sequences (default 2000)
--   CA_MODEL_THREADED=n   threaded sequences (default 200)
--   CA_MODEL_PROVIDER=n   virtual-clock sequences against ca.provider
--                         behind ca.actions (default 1000)
--   CA_MODEL_LUAPM=n      the same against luapm loaded with ca.load
--                         (default 500)
--
-- A failure names its seed and the steps that led to it.
local ca = require "customaction"
local peer = require "nativepeer"
local model = require "protocol_model"
local targets = require "model_targets"

local scale = tonumber(os.getenv("CA_MODEL_SCALE") or "1")
local replay = tonumber(os.getenv("CA_MODEL_SEED") or "")
local function count(var, default)
  if replay then return 1 end
  return math.max(1, math.floor((tonumber(os.getenv(var) or "") or default) * scale))
end

local function seeds(n, base)
  local t = {}
  if replay then t[1] = replay return t end
  for i = 1, n do t[i] = base + i end
  return t
end

describe("the protocol, against its model", function()
  it("agrees on every handler call, HRESULT and log entry on a virtual clock", function()
    local n = count("CA_MODEL_VIRTUAL", 2000)
    for _, seed in ipairs(seeds(n, 0)) do
      local err = model.virtual(ca, peer, seed)
      if err then error(err .. "\n  replay: CA_MODEL_SEED=" .. seed, 0) end
    end
  end)

  it("agrees on every handler call and HRESULT against ca.provider behind ca.actions",
     function()
    -- the same seeds as the issuer's: the same sequences
    local n = count("CA_MODEL_PROVIDER", 1000)
    for _, seed in ipairs(seeds(n, 0)) do
      local err = model.virtual(ca, peer, seed, nil, targets.provider)
      if err then error(err .. "\n  target: " .. targets.provider.name
                        .. "\n  replay: CA_MODEL_SEED=" .. seed, 0) end
    end
  end)

  it("agrees on every handler call and HRESULT against luapm loaded with ca.load",
     function()
    local n = count("CA_MODEL_LUAPM", 500)
    for _, seed in ipairs(seeds(n, 0)) do
      local err = model.virtual(ca, peer, seed, nil, targets.luapm)
      if err then error(err .. "\n  target: " .. targets.luapm.name
                        .. "\n  replay: CA_MODEL_SEED=" .. seed, 0) end
    end
  end)

  it("ends every report exactly once, in order per thread, with threads", function()
    local n = count("CA_MODEL_THREADED", 200)
    for _, seed in ipairs(seeds(n, 1000000)) do
      local err = model.threaded(ca, peer, seed)
      if err then error(err .. "\n  replay: CA_MODEL_SEED=" .. seed, 0) end
    end
  end)
end)
