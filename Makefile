# customaction: build, test, demo, install. `make help` lists the targets.

LUA ?= lua5.4
LUA_PC ?= lua5.4
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIBS ?= $(shell pkg-config --libs $(LUA_PC) 2>/dev/null || echo -llua5.4)

CC ?= cc
CXX ?= c++
OPT ?= -O2
CWARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -fPIC -fvisibility=hidden $(CWARN) $(CFLAGS) $(LUA_CFLAGS) -D_POSIX_C_SOURCE=200809L -pthread
BUILD ?= build

CORE_SRC = src/platform.c src/hresult.c src/queue.c src/hub.c src/callback.c
LUA_SRC = src/lhresult.c src/ldeliver.c src/lcallback.c src/lhub.c src/lcore.c
SRC = $(CORE_SRC) $(LUA_SRC)
HDR = $(wildcard src/*.h)
OBJ = $(SRC:src/%.c=$(BUILD)/obj/%.o)
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)

MODULE = $(BUILD)/customaction/core.so
PEER = $(BUILD)/test/nativepeer.so
CTESTS = $(BUILD)/test/abi_test

LUA_ENV = LUA_CPATH='$(BUILD)/?.so;$(BUILD)/test/?.so;;' LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;'

.PHONY: all help test spec ctest repl demo deps install clean sanitize valgrind

all: $(MODULE)

help:
	@echo "make            build $(MODULE)"
	@echo "make test       build, run the busted specs and the C/C++ tests"
	@echo "make repl       $(LUA) -i with customaction loaded as ca"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make sanitize   specs and C tests under ASan+UBSan"
	@echo "make valgrind   specs under valgrind memcheck"
	@echo "make install    luarocks make (Lua 5.4 tree)"

$(BUILD)/obj/%.o: src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The module does not link liblua: the interpreter exports the API.
$(MODULE): $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_CFLAGS) -o $@ $(OBJ) $(LDFLAGS) -pthread

$(PEER): tests/peer/nativepeer.c src/wpf.h
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_CFLAGS) -Isrc -o $@ $< $(LDFLAGS) -pthread

$(BUILD)/test/abi_test: tests/abi_test.cpp tests/abi_c_side.c $(CORE_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -c tests/abi_c_side.c -o $(BUILD)/test/abi_c_side.o
	$(CXX) -std=c++11 $(OPT) -g -Wall -Wextra -pthread $(CXXFLAGS) -Isrc -o $@ tests/abi_test.cpp \
	  $(BUILD)/test/abi_c_side.o $(CORE_OBJ) $(LDFLAGS)

spec: $(MODULE) $(PEER)
	@$(LUA_ENV) $(LUA) tests/run-busted.lua $(SPECFLAGS)

ctest: $(CTESTS)
	@for t in $(CTESTS); do $$t || exit 1; done

test: $(MODULE) $(PEER) $(CTESTS)
	@$(LUA_ENV) LUA=$(LUA) sh tests/run-all.sh $(CTESTS)

repl: $(MODULE)
	@$(LUA_ENV) $(LUA) -i -e 'ca = require "customaction"; print("customaction " .. ca._VERSION .. " loaded as ca")'

deps:
	@sh tests/deps.sh

install:
	luarocks --lua-version=5.4 make rockspec/customaction-scm-1.rockspec

clean:
	rm -rf $(BUILD)
