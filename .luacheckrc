-- luacheck configuration: the Lua facade, examples, benchmarks and specs.
-- "max": the module and its specs run on Lua 5.1 to 5.4 and LuaJIT, and
-- reach for a version's global only after checking for it
std = "max"
max_line_length = 120
files["spec/"] = { std = "+busted" }
exclude_files = { "build/" }
