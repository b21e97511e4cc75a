# customaction: build, test, demo, install. `make help` lists the targets;
# the checkers, fuzzers, benchmarks and cross-builds live in mk/*.mk.

# LUA picks the interpreter and the headers: lua5.4 (default), lua5.3,
# lua5.2, lua5.1 or luajit. Builds other than 5.4 go to build/$(LUA).
# LuaRocks passes the interpreter's full path (make rock).
LUA ?= lua5.4
LUA_NAME = $(notdir $(LUA))
LUA_PC ?= $(LUA_NAME)
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/$(LUA_NAME))
LUA_LIBS ?= $(shell pkg-config --libs $(LUA_PC) 2>/dev/null || echo -l$(LUA_NAME))
BUILD ?= $(if $(filter lua5.4,$(LUA_NAME)),build,build/$(LUA_NAME))

CC ?= cc
CXX ?= c++
OPT ?= -O2
CFLAGS ?= $(OPT) -g
CWARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -fPIC -fvisibility=hidden $(CWARN) $(CFLAGS) $(LUA_CFLAGS) \
  -D_POSIX_C_SOURCE=200809L -pthread $(INCFLAGS)

include mk/sources.mk

MODULE = $(BUILD)/customaction/core.so
PEER = $(BUILD)/test/nativepeer.so
obj = $(1:%.c=$(BUILD)/obj/%.o)
# core_test has no Lua in it, so only the default (5.4) run builds it
CTESTS = $(if $(filter lua5.4,$(LUA)),$(BUILD)/test/core_test) $(BUILD)/test/abi_test $(BUILD)/test/stress_test \
  $(BUILD)/test/pm_close_test $(BUILD)/test/provider_test $(BUILD)/test/capi_test \
  $(BUILD)/test/luapm_test
LUA_PATH_DEV = lua/?.lua;lua/?/init.lua;spec/?.lua;;
LUA_ENV = CA_BUILD=$(BUILD) CHILD_LUA=$(LUA) LUA_CPATH='$(BUILD)/?.so;$(BUILD)/test/?.so;;' \
  LUA_PATH='$(LUA_PATH_DEV)'
TALLY ?=

.PHONY: all help test spec ctest demo repl deps install rock clean
all: $(MODULE)

help:
	@sed -n 's/^## \{0,1\}//p' Makefile mk/*.mk

## make            build build/customaction/core.so
## make demo       a simulated protocol manager driving Lua handlers, then
##                 the sample protocol manager (examples/pm) loaded and driven,
##                 then a protocol manager written in Lua
## make test       build, run the busted specs and the C/C++ tests
##                 (LUA=lua5.1|lua5.2|lua5.3|luajit for another Lua)
## make repl       $LUA -i with customaction loaded as ca
## make deps       install the Debian packages the build and tests need
## make install    luarocks make (the tree of $LUA's version), which runs
##                 `make rock`: the module and luapm copied to build/rock
## make clean      remove every build product

$(BUILD)/obj/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c $(HDR) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The module does not link liblua: the interpreter exports the API.
$(MODULE): $(call obj,$(SRC))
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

# The peer starts its threads through the core's platform layer.
PEER_SRC = tests/peer/nativepeer.c src/core/platform.c src/core/platform_win32.c
$(PEER): $(call obj,$(PEER_SRC))
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

# Test hosts embed Lua, so they (and only they) link liblua: each links
# its own file, the Lua-host helper (tests/luahost.c) and the module's
# objects; core_test has no Lua.
TEST_HOST_OBJ = $(call obj,tests/luahost.c $(SRC))
$(BUILD)/test/%_test: $(BUILD)/obj/tests/%_test.o $(TEST_HOST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o,$^) $(LDFLAGS) $(LUA_LIBS) -lm

$(BUILD)/test/%_test: tests/%_test.cpp $(TEST_HOST_OBJ) $(wildcard tests/*.hpp tests/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 $(OPT) -g -Wall -Wextra -pthread $(LDFLAGS) $(CXXFLAGS) $(LUA_CFLAGS) $(INCFLAGS) \
	  -Itests -o $@ $(filter %.cpp %.o,$^) $(LUA_LIBS) -lm

$(BUILD)/test/abi_test: $(call obj,tests/abi_c_side.c)
$(BUILD)/test/pm_close_test: $(BUILD)/pm/samplepm.so $(BUILD)/pm/edgepm.so

$(BUILD)/test/core_test: $(call obj,tests/core_test.c $(NATIVE_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

spec: $(MODULE) $(PEER) $(BUILD)/pm/samplepm.so $(BUILD)/pm/minipm.so $(BUILD)/pm/edgepm.so $(BUILD)/pm/broken.so
	@$(LUA_ENV) LUA=$(LUA) TALLY=$(TALLY) sh tools/run-all.sh

ctest: $(CTESTS)
	@for t in $(CTESTS); do $$t || exit 1; done

TEST_DEPS = $(MODULE) $(PEER) $(BUILD)/pm/samplepm.so $(BUILD)/pm/minipm.so $(BUILD)/pm/edgepm.so $(BUILD)/pm/broken.so $(CTESTS)
test: $(TEST_DEPS)
	@$(LUA_ENV) LUA=$(LUA) TALLY=$(TALLY) sh tools/run-all.sh $(CTESTS) tools/install-check.sh

demo: $(MODULE) $(BUILD)/pm/samplepm.so
	@$(LUA_ENV) $(LUA) examples/demo.lua
	@$(LUA_ENV) $(LUA) examples/foreign.lua $(BUILD)/pm/samplepm.so
	@echo
	@$(LUA_ENV) $(LUA) examples/provider.lua

repl: $(MODULE)
	@$(LUA_ENV) $(LUA) -i -e 'ca = require "customaction"; print("customaction " .. ca._VERSION .. " loaded as ca")'

deps:
	@sh tools/deps.sh

install:
	luarocks --lua-version=$$($(LUA) -e 'io.write((_VERSION:match("%d+%.%d+")))') \
	  make rockspec/customaction-scm-1.rockspec

clean:
	rm -rf build

include mk/pm.mk mk/check.mk mk/sanitize.mk mk/fuzz.mk mk/windows.mk mk/windows32.mk mk/interlocked.mk mk/x86.mk \
  mk/bench.mk mk/dist.mk \
  mk/luapm.mk
# after windows.mk and dist.mk, whose targets and lists it extends
include mk/winrock.mk

# What the rockspec installs on Unix (LuaRocks runs this with its LUA, CC,
# CFLAGS and LUA_CFLAGS): the module and luapm, in a directory of their own
# so that nothing lands in ./customaction/, where Lua's ./?.so would find
# a stale copy before the fresh build.
ROCK = build/rock/customaction
rock: $(MODULE) $(LUAPM)
	@mkdir -p $(ROCK)
	cp $(MODULE) $(LUAPM) $(ROCK)/
