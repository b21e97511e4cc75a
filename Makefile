# customaction: build, test, demo, install. `make help` lists the targets.

# LUA picks the interpreter and the headers: lua5.4 (default), lua5.3,
# lua5.2, lua5.1 or luajit. Builds other than 5.4 go to build/$(LUA).
LUA ?= lua5.4
LUA_PC ?= $(LUA)
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/$(LUA))
LUA_LIBS ?= $(shell pkg-config --libs $(LUA_PC) 2>/dev/null || echo -l$(LUA))
OTHER_LUAS = lua5.1 lua5.2 lua5.3 luajit

CC ?= cc
CXX ?= c++
OPT ?= -O2
CWARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -fPIC -fvisibility=hidden $(CWARN) $(CFLAGS) $(LUA_CFLAGS) -D_POSIX_C_SOURCE=200809L -pthread
ifeq ($(LUA),lua5.4)
BUILD ?= build
else
BUILD ?= build/$(LUA)
endif

CORE_SRC = src/platform.c src/platform_win32.c src/hresult.c src/queue.c src/hub.c src/callback.c src/utf16.c src/issuer.c
LUA_SRC = src/lhresult.c src/ldeliver.c src/lcallback.c src/lhub.c src/lutf16.c src/lissuer.c src/lcore.c
SRC = $(CORE_SRC) $(LUA_SRC)
HDR = $(wildcard src/*.h)
OBJ = $(SRC:src/%.c=$(BUILD)/obj/%.o)
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)

MODULE = $(BUILD)/customaction/core.so
PEER = $(BUILD)/test/nativepeer.so
# core_test has no Lua in it, so only the default (5.4) run builds it
ifeq ($(LUA),lua5.4)
CORE_TEST = core_test
endif
CTESTS = $(CORE_TEST:%=$(BUILD)/test/%) $(BUILD)/test/abi_test $(BUILD)/test/stress_test

LUA_PATH_DEV = lua/?.lua;lua/?/init.lua;spec/?.lua;;
LUA_ENV = CA_BUILD=$(BUILD) CHILD_LUA=$(LUA) LUA_CPATH='$(BUILD)/?.so;$(BUILD)/test/?.so;;' LUA_PATH='$(LUA_PATH_DEV)'

# Sanitizer builds: one host executable holding Lua, the module and the
# native peer, all compiled with the sanitizer (Debian's liblua is not).
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_DIR = $(BUILD)/asan
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=tests/lsan.supp
TSAN_DIR = $(BUILD)/tsan
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
TSAN_ENV = TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
VG_DIR = build/valgrind
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --track-origins=yes
TALLY ?=

.PHONY: all help test spec versions windows docs bench-versions ctest repl demo deps install clean sanitize tsan valgrind ci fuzz bench oom lint

all: $(MODULE)

help:
	@echo "make            build $(MODULE)"
	@echo "make demo       a simulated protocol manager driving Lua handlers"
	@echo "make test       build, run the busted specs and the C/C++ tests"
	@echo "                (LUA=lua5.1|lua5.2|lua5.3|luajit for another Lua)"
	@echo "make versions   make test and make sanitize on each of $(OTHER_LUAS)"
	@echo "make repl       $(LUA) -i with customaction loaded as ca"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make sanitize   specs and C tests under ASan+UBSan"
	@echo "make tsan       threaded specs and the stress test under ThreadSanitizer"
	@echo "make valgrind   specs under valgrind memcheck"
	@echo "make oom        allocation-failure sweep under ASan"
	@echo "make lint       luacheck and cppcheck"
	@echo "make docs       the LDoc reference in build/docs"
	@echo "make windows    the core cross-compiled with mingw-w64, its test under Wine"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each"
	@echo "make bench      benchmarks against the peers -> bench/results.md (QUICK=1)"
	@echo "make bench-versions  cb:report cost on each Lua, as a ratio to 5.4"
	@echo "make ci         lint, docs, test on every Lua, windows, sanitize, tsan,"
	@echo "                valgrind, oom and fuzz, one closing line"
	@echo "make install    luarocks make (the tree of \$$LUA's version)"

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

# Test hosts embed Lua, so they (and only they) link liblua.
$(BUILD)/test/abi_test: tests/abi_test.cpp tests/abi_c_side.c $(OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -c tests/abi_c_side.c -o $(BUILD)/test/abi_c_side.o
	$(CXX) -std=c++11 $(OPT) -g -Wall -Wextra -pthread $(CXXFLAGS) $(LUA_CFLAGS) -Isrc -o $@ \
	  tests/abi_test.cpp $(BUILD)/test/abi_c_side.o $(OBJ) $(LDFLAGS) $(LUA_LIBS) -lm

# The core alone: no Lua at all (the Windows build runs this one).
$(BUILD)/test/core_test: tests/core_test.c $(CORE_OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ tests/core_test.c $(CORE_OBJ) $(LDFLAGS) -pthread

$(BUILD)/test/stress_test: tests/stress_test.c $(OBJ) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ tests/stress_test.c $(OBJ) $(LDFLAGS) $(LUA_LIBS) -lm

spec: $(MODULE) $(PEER)
	@$(LUA_ENV) LUA=$(LUA) TALLY=$(TALLY) sh tests/run-all.sh

ctest: $(CTESTS)
	@for t in $(CTESTS); do $$t || exit 1; done

test: $(MODULE) $(PEER) $(CTESTS)
	@$(LUA_ENV) LUA=$(LUA) TALLY=$(TALLY) sh tests/run-all.sh $(CTESTS) tests/install-check.sh

# The same suites, plain and under ASan + UBSan, on every other Lua:
# lua5.1, lua5.2, lua5.3 and luajit.
versions:
	@status=0; for v in $(OTHER_LUAS); do \
	  echo "# Lua: $$v"; $(MAKE) -s test LUA=$$v TALLY=$(TALLY) || status=1; \
	  $(MAKE) -s sanitize LUA=$$v TALLY=$(TALLY) || status=1; \
	done; exit $$status

# $(call san_build,DIR,FLAGS): the host, the ABI test and the stress test,
# every source compiled with FLAGS.
SAN_CC = $(CC) -std=c11 -O1 -g $(2) $(LUA_CFLAGS) -D_POSIX_C_SOURCE=200809L -pthread -Isrc
define san_build
$(1)/host: tests/host.c tests/peer/nativepeer.c $(SRC) $(HDR)
	@mkdir -p $(1)
	$$(call SAN_CC,,$(2)) -o $$@ tests/host.c tests/peer/nativepeer.c $(SRC) $(LUA_LIBS) -lm

$(1)/core_test: tests/core_test.c $(CORE_SRC) $(HDR)
	@mkdir -p $(1)
	$$(call SAN_CC,,$(2)) -o $$@ tests/core_test.c $(CORE_SRC)

$(1)/stress_test: tests/stress_test.c $(SRC) $(HDR)
	@mkdir -p $(1)
	$$(call SAN_CC,,$(2)) -o $$@ tests/stress_test.c $(SRC) $(LUA_LIBS) -lm

# -fno-sanitize=vptr: calling C objects through C++ classes is the point of
# the test, and such objects carry no C++ type information
$(1)/abi_test: tests/abi_test.cpp tests/abi_c_side.c $(SRC) $(HDR)
	@mkdir -p $(1)/obj
	$$(call SAN_CC,,$(2)) -c tests/abi_c_side.c -o $(1)/obj/abi_c_side.o
	for f in $(SRC); do $$(call SAN_CC,,$(2)) -c $$$$f -o $(1)/obj/$$$$(basename $$$$f .c).o || exit 1; done
	$(CXX) -std=c++11 -O1 -g $(2) -fno-sanitize=vptr -pthread $(LUA_CFLAGS) -Isrc -o $$@ tests/abi_test.cpp \
	  $(1)/obj/abi_c_side.o $(SRC:src/%.c=$(1)/obj/%.o) $(LUA_LIBS) -lm
endef

$(eval $(call san_build,$(ASAN_DIR),$(SAN_FLAGS)))
$(eval $(call san_build,$(TSAN_DIR),$(TSAN_FLAGS)))

# Specs and C tests under AddressSanitizer + UndefinedBehaviorSanitizer.
ASAN_TESTS = $(CORE_TEST:%=$(ASAN_DIR)/%) $(ASAN_DIR)/abi_test $(ASAN_DIR)/stress_test
sanitize: $(MODULE) $(ASAN_DIR)/host $(ASAN_TESTS)
	@$(ASAN_ENV) CA_BUILD=$(BUILD) CHILD_LUA=$(LUA) LUA_CPATH='$(BUILD)/?.so;;' LUA_PATH='$(LUA_PATH_DEV)' LUA=$(ASAN_DIR)/host \
	  TALLY=$(TALLY) sh tests/run-all.sh $(ASAN_TESTS)

# The threaded specs and the stress test under ThreadSanitizer.
TSAN_SPECS = spec/threads_spec.lua spec/issuer_threads_spec.lua spec/faults_spec.lua
tsan: $(TSAN_DIR)/host $(TSAN_DIR)/core_test $(TSAN_DIR)/stress_test
	@$(TSAN_ENV) LUA_PATH='$(LUA_PATH_DEV)' LUA=$(TSAN_DIR)/host SPEC_ARGS='$(TSAN_SPECS)' \
	  TALLY=$(TALLY) sh tests/run-all.sh $(TSAN_DIR)/core_test $(TSAN_DIR)/stress_test

# Specs and C tests under valgrind memcheck, on an -O1 build.
valgrind: $(MODULE)
	@$(MAKE) -s BUILD=$(VG_DIR) OPT=-O1 $(VG_DIR)/customaction/core.so $(VG_DIR)/test/nativepeer.so \
	  $(VG_DIR)/test/core_test $(VG_DIR)/test/abi_test $(VG_DIR)/test/stress_test
	@LUA_CPATH='$(VG_DIR)/?.so;$(VG_DIR)/test/?.so;;' LUA_PATH='$(LUA_PATH_DEV)' LUA=$(LUA) STRESS_N=10000 \
	  WRAP='$(VALGRIND)' TALLY=$(TALLY) sh tests/run-all.sh $(VG_DIR)/test/core_test $(VG_DIR)/test/abi_test \
	  $(VG_DIR)/test/stress_test

# The LDoc reference (config.ld) in build/docs, checked for warnings and
# for an entry per registered C function. Debian's markdown.lua is 5.1's.
docs:
	@TALLY=$(TALLY) LUA=true LDOC='lua5.1 /usr/bin/ldoc' sh tests/run-all.sh --no-specs tests/docs-check.sh
	@echo "reference: build/docs/index.html"

# luacheck and cppcheck, warnings kept at zero.
lint:
	@TALLY=$(TALLY) LUA=true sh tests/run-all.sh --no-specs tests/lint.sh

# The allocation-failure sweep: every allocation of several scenarios
# failed in turn, under ASan (LeakSanitizer finds leaks at exit).
OOM_DIR = build/oom
$(OOM_DIR)/oom_sweep: tests/oom_sweep.c tests/peer/nativepeer.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g $(SAN_FLAGS) -DCA_ALLOC_HOOK $(LUA_CFLAGS) -D_POSIX_C_SOURCE=200809L -pthread -Isrc \
	  -o $@ tests/oom_sweep.c tests/peer/nativepeer.c $(SRC) $(LUA_LIBS) -lm

oom: $(OOM_DIR)/oom_sweep
	@ASAN_OPTIONS=detect_leaks=1 TALLY=$(TALLY) LUA=true sh tests/run-all.sh --no-specs $(OOM_DIR)/oom_sweep

# libFuzzer targets (clang), each run FUZZ_SECONDS from tests/fuzz/corpus.
FUZZ_DIR = build/fuzz
FUZZ_TARGETS = hresult utf16 report scenario
FUZZ_SECONDS ?= 10
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1

$(FUZZ_DIR)/fuzz_hresult: tests/fuzz/fuzz_hresult.c src/hresult.c src/hresult.h src/hresult_table.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -Isrc -o $@ tests/fuzz/fuzz_hresult.c src/hresult.c src/platform.c -pthread

$(FUZZ_DIR)/fuzz_utf16: tests/fuzz/fuzz_utf16.c src/utf16.c src/utf16.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -Isrc -o $@ tests/fuzz/fuzz_utf16.c src/utf16.c

$(FUZZ_DIR)/fuzz_report $(FUZZ_DIR)/fuzz_scenario: $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -D_POSIX_C_SOURCE=200809L $(LUA_CFLAGS) -Isrc -o $@ $< $(SRC) $(LUA_LIBS) -lm -pthread

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) TALLY=$(TALLY) LUA=true BUSTED=/dev/null sh tests/run-all.sh --no-specs \
	  "tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TARGETS)"

# Windows: the core (no Lua) cross-compiled with mingw-w64, warnings as
# errors, and its test run under Wine.
MINGW_CC ?= x86_64-w64-mingw32-gcc
MINGW_DIR = build/mingw
MINGW_OBJ = $(CORE_SRC:src/%.c=$(MINGW_DIR)/obj/%.o)

$(MINGW_DIR)/obj/%.o: src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 $(OPT) $(CWARN) -Werror -c $< -o $@

$(MINGW_DIR)/core_test.exe: tests/core_test.c $(MINGW_OBJ) $(HDR)
	$(MINGW_CC) -std=c11 $(OPT) $(CWARN) -Werror -Isrc -o $@ tests/core_test.c $(MINGW_OBJ)

windows: $(MINGW_DIR)/core_test.exe
	@WINEPREFIX=$(CURDIR)/$(MINGW_DIR)/wineprefix WINEDEBUG=-all TALLY=$(TALLY) LUA=true \
	  sh tests/run-all.sh --no-specs "tests/wine-run.sh $(MINGW_DIR)/core_test.exe"

# Benchmarks against the peers; writes bench/results.md (QUICK=1: < 1 min).
bench: $(MODULE)
	@QUICK=$(QUICK) sh bench/run.sh

# Same-thread cb:report cost on each Lua, as a ratio to Lua 5.4.
bench-versions:
	@for v in lua5.4 $(OTHER_LUAS); do $(MAKE) -s LUA=$$v >/dev/null || exit 1; done
	@run() { b=build; [ $$1 = lua5.4 ] || b=build/$$1; \
	  LUA_CPATH="$$b/?.so;;" LUA_PATH='lua/?.lua;lua/?/init.lua;;' $$1 bench/versions.lua; }; \
	base=$$(NS_ONLY=1 run lua5.4); \
	echo "| Lua | cb:report, 16 B | vs 5.4 | Lua pcall of the handler |"; echo "|---|---|---|---|"; \
	for v in lua5.4 $(OTHER_LUAS); do BASE_NS=$$base run $$v || exit 1; done

# What CI runs after `make deps`: every suite, plain and under each
# checker, with one closing line for all of them.
ci:
	@rm -f build/tally; mkdir -p build; status=0; \
	$(MAKE) -s lint TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s docs TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s test TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s versions TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s windows TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s sanitize TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s tsan TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s valgrind TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s oom TALLY=$(CURDIR)/build/tally || status=1; \
	$(MAKE) -s fuzz TALLY=$(CURDIR)/build/tally || status=1; \
	sh tests/tally.sh build/tally || status=1; exit $$status

demo: $(MODULE)
	@$(LUA_ENV) $(LUA) examples/demo.lua

repl: $(MODULE)
	@$(LUA_ENV) $(LUA) -i -e 'ca = require "customaction"; print("customaction " .. ca._VERSION .. " loaded as ca")'

deps:
	@sh tests/deps.sh

install:
	luarocks --lua-version=$$($(LUA) -e 'io.write((_VERSION:match("%d+%.%d+")))') \
	  make rockspec/customaction-scm-1.rockspec

clean:
	rm -rf $(BUILD)
