-- luacheck configuration: the Lua facade, examples, benchmarks and specs.
std = "lua54"
max_line_length = 120
files["spec/"] = { std = "+busted" }
exclude_files = { "build/" }
