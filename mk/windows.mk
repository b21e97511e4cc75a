# Windows: the module, the test peer and the C/C++ tests cross-compiled
# with mingw-w64 (warnings as errors) against a Lua 5.4 built from
# Debian's lua5.4 source package, and everything run under Wine: the
# busted specs (Debian's busted stack) with the protocol-manager libraries
# as DLLs, core_test, abi_test, stress_test, pm_close_test.
# docs/windows.md says what runs where.
.PHONY: windows windows-build
MINGW_CC ?= x86_64-w64-mingw32-gcc
MINGW_CXX ?= x86_64-w64-mingw32-g++
MINGW_DIR = build/mingw
# Lua and the busted stack for Windows (tools/mingw-lua.sh), and the
# Debian sources they come from: both kept until `make clean`
MINGW_LUA = build/mingw-lua
MINGW_SRC = build/mingw-src
MINGW_CFLAGS = -std=c11 $(OPT) $(CWARN) -Werror $(INCFLAGS) -I$(MINGW_LUA)/include
MINGW_CXXFLAGS = -std=c++11 $(OPT) -Wall -Wextra -Werror $(INCFLAGS) -I$(MINGW_LUA)/include
# the test programs carry their C/C++ runtimes (no libgcc/libstdc++ DLLs)
MINGW_TEST_LDFLAGS = -static-libgcc -static-libstdc++
mingw_obj = $(1:%.c=$(MINGW_DIR)/obj/%.o)
# Test programs link the module's objects in: customaction.h's API is then
# neither imported nor exported.
$(MINGW_DIR)/obj/tests/%.o: MINGW_CFLAGS += -DCUSTOMACTION_STATIC
$(MINGW_DIR)/test/%.exe: MINGW_CXXFLAGS += -DCUSTOMACTION_STATIC
MINGW_LUA_DLL = $(MINGW_LUA)/lua54.dll
MINGW_TESTS = $(MINGW_DIR)/test/core_test.exe $(MINGW_DIR)/test/abi_test.exe \
  $(MINGW_DIR)/test/stress_test.exe $(MINGW_DIR)/test/pm_close_test.exe

$(MINGW_LUA)/lua.exe: tools/mingw-lua.sh tools/debian-lua.sh tools/debian-source.sh
	@sh tools/mingw-lua.sh $(MINGW_LUA) $(MINGW_SRC)
$(MINGW_LUA_DLL) $(MINGW_LUA)/include/lua.h: $(MINGW_LUA)/lua.exe

$(MINGW_DIR)/obj/%.o: %.c $(HDR) | $(MINGW_LUA)/include/lua.h
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_CFLAGS) -c $< -o $@

# Only luaopen_customaction_core is exported (CA_EXPORT is dllexport).
$(MINGW_DIR)/customaction/core.dll: $(call mingw_obj,$(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

$(MINGW_DIR)/test/nativepeer.dll: $(call mingw_obj,$(PEER_SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

# busted's system.core, a test-only stand-in: see the file
$(MINGW_DIR)/busted/system/core.dll: $(call mingw_obj,tests/windows/system_core.c) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

# ---- widefs: UTF-8 names through the wide API, for the specs ------------
# Test-only (see the file): the non-ASCII path specs and the command's
# examples (cli_spec) name files and start the command in UTF-16, as a
# Windows console does; Lua's own functions speak the ANSI code page.
MINGW_WIDEFS = $(MINGW_DIR)/test/widefs.dll
$(MINGW_WIDEFS): $(call mingw_obj,tests/windows/widefs.c) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^
# ---- end of widefs --------------------------------------------------------

# The test programs find lua54.dll beside them, as a Windows program would.
$(MINGW_DIR)/test/lua54.dll: $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	cp $< $@

$(MINGW_DIR)/test/core_test.exe: $(call mingw_obj,tests/core_test.c $(NATIVE_SRC))
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_TEST_LDFLAGS) -o $@ $^

$(MINGW_DIR)/test/stress_test.exe: $(call mingw_obj,tests/stress_test.c tests/luahost.c $(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_TEST_LDFLAGS) -o $@ $^

$(MINGW_DIR)/test/abi_test.exe: tests/abi_test.cpp $(call mingw_obj,tests/abi_c_side.c tests/luahost.c $(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CXX) $(MINGW_CXXFLAGS) $(MINGW_TEST_LDFLAGS) -o $@ $^

# The Wine prefix, made before the suites run so that its creation (and
# what Wine says about it) stays out of their output.
WINEPREFIX_DIR = $(CURDIR)/$(MINGW_DIR)/wineprefix
$(MINGW_DIR)/wineprefix/made:
	@mkdir -p $(MINGW_DIR)
	@if command -v wine >/dev/null 2>&1; then \
	  WINEPREFIX=$(WINEPREFIX_DIR) WINEDEBUG=-all wineboot -i >/dev/null 2>&1 && \
	  touch $@; fi

# Protocol-manager libraries as DLLs, loaded by ca.load (LoadLibraryW).
# The sample uses std::thread, which GCC 12's win32 thread model lacks: it
# is built with the posix-model compiler, winpthreads and the C++ runtime
# linked in, so that it too needs no DLL beyond the system's.
MINGW_CXX_POSIX ?= x86_64-w64-mingw32-g++-posix
MINGW_PMS = $(MINGW_DIR)/pm/samplepm.dll $(MINGW_DIR)/pm/minipm.dll $(MINGW_DIR)/pm/broken.dll
$(MINGW_DIR)/pm/samplepm.dll: examples/pm/samplepm.cpp include/wpframework.hpp include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(MINGW_CXX_POSIX) -std=c++11 -shared $(OPT) -Wall -Wextra -Werror -Iinclude -static -o $@ $<

$(MINGW_DIR)/pm/minipm.dll: tests/pm/minipm.c include/wpfcall.h
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 -shared $(OPT) $(CWARN) -Werror -Iinclude -o $@ $<

# The conformance checker's deliberately broken protocol manager: its
# threads and locks are kernel32's, declared in the file itself.
$(MINGW_DIR)/pm/broken.dll: tests/pm/broken.c include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 -shared $(OPT) $(CWARN) -Werror -Iinclude -o $@ $<

$(MINGW_DIR)/test/pm_close_test.exe: $(call mingw_obj,tests/pm_close_test.c tests/luahost.c $(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_TEST_LDFLAGS) -o $@ $^

# The protocol manager that hosts a Lua script: the module's code and
# luapm.c, linked against lua54.dll, with the sample script beside it.
$(MINGW_DIR)/customaction/luapm.dll: $(call mingw_obj,$(LUAPM_SRC) $(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

$(MINGW_DIR)/customaction/luapm.lua: examples/luapm.lua
	@mkdir -p $(dir $@)
	cp $< $@

windows-build: $(MINGW_DIR)/customaction/luapm.dll $(MINGW_DIR)/customaction/luapm.lua $(MINGW_PMS) $(MINGW_DIR)/wineprefix/made $(MINGW_DIR)/customaction/core.dll $(MINGW_DIR)/test/nativepeer.dll \
  $(MINGW_DIR)/busted/system/core.dll $(MINGW_DIR)/test/lua54.dll $(MINGW_TESTS) \
  $(MINGW_WIDEFS)

# Lua's defaults find the busted stack beside lua.exe; LUA_CPATH adds the
# stand-in, LUA_PATH the module's Lua files (luapm's own state needs them);
# .busted adds the module's C paths.
MINGW_ENV = WINEPREFIX=$(WINEPREFIX_DIR) WINEDEBUG=-all \
  CA_BUILD=$(MINGW_DIR) CHILD_LUA=$(MINGW_LUA)/lua.exe CA_SAMPLEPM=$(MINGW_DIR)/pm/samplepm.dll \
  CA_BROKENPM=$(MINGW_DIR)/pm/broken.dll \
  LUA_PATH='$(LUA_PATH_DEV)' LUA_CPATH='$(MINGW_DIR)/busted/?.dll;;'

## make windows    the module, its specs and the C/C++ tests built with
##                 mingw-w64 and run under Wine (Lua from Debian's source)
windows: windows-build
	@$(MINGW_ENV) TALLY=$(TALLY) WRAP='sh tools/wine-run.sh' LUA=$(MINGW_LUA)/lua.exe \
	  BUSTED=$(MINGW_LUA)/busted sh tools/run-all.sh \
	  "tools/windows-check.sh $(MINGW_LUA) $(MINGW_DIR)" $(MINGW_TESTS)
