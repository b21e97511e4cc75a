# The atomics MSVC compiles: src/core/atomics.h takes the Interlocked
# intrinsics where the compiler is MSVC, and -DCA_ATOMICS_INTERLOCKED
# forces that path on mingw-w64, which has the same intrinsics. Every
# source is built so (warnings as errors; the atomic types are structs
# there, so a plain access to one does not compile), and the threaded C
# tests and the specs that drive the queue, the hub and the providers from
# several threads run under Wine. MSVC itself cannot run here:
# docs/windows.md says what this proves and what it does not.
.PHONY: windows-interlocked
MINGWI_DIR = build/mingw-interlocked
MINGWI_CFLAGS = $(MINGW_CFLAGS) -DCA_ATOMICS_INTERLOCKED
mingwi_obj = $(1:%.c=$(MINGWI_DIR)/obj/%.o)
MINGWI_TESTS = $(MINGWI_DIR)/test/core_test.exe $(MINGWI_DIR)/test/stress_test.exe
MINGWI_SPECS = spec/callback_spec.lua spec/threads_spec.lua spec/stream_spec.lua \
  spec/provider_spec.lua spec/lifetime_spec.lua

$(MINGWI_DIR)/obj/tests/%.o: MINGWI_CFLAGS += -DCUSTOMACTION_STATIC
$(MINGWI_DIR)/obj/%.o: %.c $(HDR) | $(MINGW_LUA)/include/lua.h
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGWI_CFLAGS) -c $< -o $@

$(MINGWI_DIR)/customaction/core.dll: $(call mingwi_obj,$(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

$(MINGWI_DIR)/test/nativepeer.dll: $(call mingwi_obj,$(PEER_SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -shared -o $@ $^

$(MINGWI_DIR)/test/lua54.dll: $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	cp $< $@

# the plain-C protocol manager the lifetime specs load (no core code in it)
$(MINGWI_DIR)/pm/minipm.dll: $(MINGW_DIR)/pm/minipm.dll
	@mkdir -p $(dir $@)
	cp $< $@

$(MINGWI_DIR)/test/core_test.exe: $(call mingwi_obj,tests/core_test.c $(NATIVE_SRC))
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_TEST_LDFLAGS) -o $@ $^

$(MINGWI_DIR)/test/stress_test.exe: $(call mingwi_obj,tests/stress_test.c tests/luahost.c $(SRC)) $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_TEST_LDFLAGS) -o $@ $^

## make windows-interlocked  every source built on the Interlocked atomics
##                 (MSVC's path, forced with mingw-w64); the threaded C tests
##                 and the threaded specs run under Wine
windows-interlocked: $(MINGWI_DIR)/customaction/core.dll $(MINGWI_DIR)/test/nativepeer.dll \
  $(MINGWI_DIR)/test/lua54.dll $(MINGWI_DIR)/pm/minipm.dll $(MINGW_DIR)/busted/system/core.dll $(MINGW_DIR)/wineprefix/made \
  $(MINGWI_TESTS)
	@$(MINGW_ENV) CA_BUILD=$(MINGWI_DIR) TALLY=$(TALLY) WRAP='sh tools/wine-run.sh' \
	  LUA=$(MINGW_LUA)/lua.exe BUSTED=$(MINGW_LUA)/busted SPEC_ARGS='$(MINGWI_SPECS)' \
	  sh tools/run-all.sh $(MINGWI_TESTS)
