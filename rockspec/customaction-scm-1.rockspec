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
    customaction = "lua/customaction/init.lua",
    ["customaction.issuer"] = "lua/customaction/issuer.lua",
    ["customaction.busted"] = "lua/customaction/busted.lua",
    ["customaction.core"] = {
      sources = {
        "src/platform.c", "src/platform_win32.c", "src/hresult.c", "src/queue.c", "src/hub.c",
        "src/callback.c", "src/utf16.c", "src/issuer.c",
        "src/lhresult.c", "src/ldeliver.c", "src/lcallback.c", "src/lhub.c",
        "src/lutf16.c", "src/lissuer.c", "src/lcore.c",
      },
      incdirs = { "src" },
      defines = { "_POSIX_C_SOURCE=200809L" },
    },
  },
  -- POSIX threads everywhere but Windows, where platform_win32.c needs
  -- only kernel32
  platforms = {
    unix = {
      modules = {
        ["customaction.core"] = { libraries = { "pthread" } },
      },
    },
  },
}
