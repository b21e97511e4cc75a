# The protocol-manager library that hosts a Lua script (src/luapm/). Unlike
# core.so it links liblua and carries the module's code, so that a host
# with no Lua (IIS, a C++ client) can load it; -Bsymbolic keeps its calls
# to its own copy of the module even where another copy is loaded.
.PHONY: luapm
LUAPM = $(BUILD)/customaction/luapm.so
LUAPM_SCRIPT = $(BUILD)/customaction/luapm.lua

all: luapm
## make luapm      build/customaction/luapm.so and the sample script beside it
luapm: $(LUAPM) $(LUAPM_SCRIPT)

$(LUAPM): $(call obj,$(LUAPM_SRC) $(SRC))
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_CFLAGS) -Wl,-Bsymbolic -o $@ $^ $(LDFLAGS) $(LUA_LIBS) -ldl -lm

$(LUAPM_SCRIPT): examples/luapm.lua
	@mkdir -p $(dir $@)
	cp $< $@

# A native host that loads it as IIS would (no Lua of its own).
$(BUILD)/test/luapm_test: tests/luapm_test.cpp $(wildcard tests/*.hpp tests/*.h) | $(LUAPM) $(LUAPM_SCRIPT)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 $(OPT) -g -Wall -Wextra -pthread $(LDFLAGS) $(CXXFLAGS) -o $@ $< -ldl

# the checkers' child interpreters load the ordinary build
sanitize tsan: luapm
