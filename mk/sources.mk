# The one list of sources. The Makefile builds from it; tools/sources-check.sh
# checks that the rockspec and config.ld name the same files.
#
# Layers, each depending only on the ones above it:
#   include/   the native interfaces (no code)
#   src/core/  no Lua: callback object, queue, hub, HRESULTs, UTF-16, platform
#   src/sim/   the simulated protocol manager (no Lua)
#   src/lua/   the Lua binding, one file per Lua type; it sees core objects
#              through their headers' accessors (never a *_impl.h, never a
#              lock: tools/sources-check.sh)
CORE_SRC = src/core/platform.c src/core/platform_win32.c src/core/hresult.c \
  src/core/bufpool.c src/core/queue.c src/core/hub.c src/core/callback.c \
  src/core/utf16.c src/core/foreign.c src/core/framework.c src/core/pmhost.c \
  src/core/intrange.c src/core/provider.c src/core/provider_view.c \
  src/core/constants.c src/core/oplog.c
SIM_SRC = src/sim/scenario.c src/sim/log.c src/sim/calls.c src/sim/payload.c \
  src/sim/op.c src/sim/clock.c src/sim/sched.c src/sim/actions.c src/sim/issuer.c
LUA_SRC = src/lua/lhresult.c src/lua/ldeliver.c src/lua/lcallback.c src/lua/lhub.c \
  src/lua/lutf16.c src/lua/lscenario.c src/lua/lissuer.c src/lua/lrecord.c src/lua/lactions.c \
  src/lua/lbinary.c src/lua/lpm.c src/lua/lpmopts.c src/lua/lprovider.c src/lua/lreply.c \
  src/lua/lcall.c src/lua/lapi.c src/lua/lcheck.c src/lua/lcore.c
# The Lua facade, installed as customaction.*
LUA_MODULES = lua/customaction/init.lua lua/customaction/issuer.lua lua/customaction/busted.lua \
  lua/customaction/stream.lua lua/customaction/actions.lua lua/customaction/pm.lua \
  lua/customaction/json.lua lua/customaction/cli.lua lua/customaction/cli/show.lua \
  lua/customaction/cli/errors.lua lua/customaction/cli/args.lua lua/customaction/cli/output.lua \
  lua/customaction/cli/session.lua lua/customaction/cli/help.lua lua/customaction/cli/hresult.lua \
  lua/customaction/cli/sim.lua lua/customaction/cli/library.lua \
  lua/customaction/check.lua lua/customaction/check/child.lua lua/customaction/check/report.lua \
  lua/customaction/cli/check.lua

# The protocol-manager library that hosts Lua (mk/luapm.mk): not part of
# the module, so not in the rockspec
LUAPM_SRC = src/luapm/luapm.c

NATIVE_SRC = $(CORE_SRC) $(SIM_SRC)
SRC = $(NATIVE_SRC) $(LUA_SRC)
INCDIRS = include src/core src/sim src/lua
INCFLAGS = $(INCDIRS:%=-I%)
HDR = $(wildcard include/*.h src/*/*.h)
