rockspec_format = "3.0"
package = "customaction"
version = "scm-1"
source = {
  url = "git+https://customaction.invalid/customaction.git",
}
description = {
  summary = "Lua functions as ReportResult handlers of IIS custom-action callbacks",
  detailed = [[
    A C module that lets Lua functions act as ReportResult handlers for the
    IIS worker-process framework's custom-action callbacks
    (ICustomActionResultCallback, ICustomAction2ResultCallback), with
    HRESULTs as Lua values and reports from any thread delivered on the
    Lua thread.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
}
build = {
  type = "builtin",
  modules = {
    ["customaction.core"] = {
      sources = {
        "src/core/platform.c", "src/core/platform_win32.c", "src/core/hresult.c",
        "src/core/bufpool.c", "src/core/queue.c", "src/core/hub.c", "src/core/callback.c",
        "src/core/utf16.c", "src/core/foreign.c", "src/core/framework.c", "src/core/pmhost.c",
        "src/core/intrange.c", "src/core/provider.c", "src/core/constants.c",
        "src/core/oplog.c",
        "src/core/provider_view.c",
        "src/sim/scenario.c", "src/sim/log.c", "src/sim/calls.c", "src/sim/payload.c",
        "src/sim/op.c", "src/sim/clock.c", "src/sim/sched.c", "src/sim/actions.c", "src/sim/issuer.c",
        "src/lua/lhresult.c", "src/lua/ldeliver.c", "src/lua/lcallback.c", "src/lua/lhub.c",
        "src/lua/lutf16.c", "src/lua/lscenario.c", "src/lua/lissuer.c", "src/lua/lrecord.c",
        "src/lua/lactions.c", "src/lua/lbinary.c", "src/lua/lpm.c", "src/lua/lpmopts.c",
        "src/lua/lprovider.c",
        "src/lua/lreply.c",
        "src/lua/lcall.c",
        "src/lua/lapi.c",
        "src/lua/lcheck.c",
        "src/lua/lcore.c",
      },
      incdirs = { "include", "src/core", "src/sim", "src/lua" },
      defines = { "_POSIX_C_SOURCE=200809L" },
    },
  },
  -- the command-line tool (docs/cli.md); the C API's headers beside the
  -- C modules, for a host's build (customaction --paths prints where)
  install = {
    -- the Lua facade (installed the same way by both backends below)
    lua = {
      ["customaction.init"] = "lua/customaction/init.lua",
      ["customaction.issuer"] = "lua/customaction/issuer.lua",
      ["customaction.busted"] = "lua/customaction/busted.lua",
      ["customaction.stream"] = "lua/customaction/stream.lua",
      ["customaction.actions"] = "lua/customaction/actions.lua",
      ["customaction.pm"] = "lua/customaction/pm.lua",
      ["customaction.json"] = "lua/customaction/json.lua",
      ["customaction.cli"] = "lua/customaction/cli.lua",
      ["customaction.cli.args"] = "lua/customaction/cli/args.lua",
      ["customaction.cli.errors"] = "lua/customaction/cli/errors.lua",
      ["customaction.cli.help"] = "lua/customaction/cli/help.lua",
      ["customaction.cli.hresult"] = "lua/customaction/cli/hresult.lua",
      ["customaction.cli.library"] = "lua/customaction/cli/library.lua",
      ["customaction.cli.output"] = "lua/customaction/cli/output.lua",
      ["customaction.cli.session"] = "lua/customaction/cli/session.lua",
      ["customaction.cli.show"] = "lua/customaction/cli/show.lua",
      ["customaction.cli.sim"] = "lua/customaction/cli/sim.lua",
      ["customaction.check"] = "lua/customaction/check.lua",
      ["customaction.check.child"] = "lua/customaction/check/child.lua",
      ["customaction.check.report"] = "lua/customaction/check/report.lua",
      ["customaction.cli.check"] = "lua/customaction/cli/check.lua",
    },
    bin = { customaction = "bin/customaction" },
    lib = {
      ["customaction.include.customaction"] = "include/customaction.h",
      ["customaction.include.wpf"] = "include/wpf.h",
      ["customaction.include.wpfcall"] = "include/wpfcall.h",
    },
  },
  -- Unix builds with the Makefile (`make rock`), which also builds luapm,
  -- the library that hosts a Lua script for native callers: it links
  -- liblua, found by pkg-config, which the builtin backend cannot name
  -- for every Lua version. Its products stay under build/, so no
  -- ./customaction/core.so is left where Lua's ./?.so would find it.
  -- Elsewhere the builtin backend above builds the module alone (on
  -- Windows, where platform_win32.c needs only kernel32).
  platforms = {
    unix = {
      type = "make",
      build_target = "rock",
      build_variables = {
        CC = "$(CC)", CFLAGS = "$(CFLAGS)", LUA = "$(LUA)", LUA_CFLAGS = "-I$(LUA_INCDIR)",
      },
      install_pass = false,
      install = {
        lib = {
          ["customaction.core"] = "build/rock/customaction/core.so",
          ["customaction.luapm"] = "build/rock/customaction/luapm.so",
        },
      },
    },
  },
}
