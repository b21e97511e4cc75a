# 32-bit x86 with the Windows interface convention, proven on Linux: the
# module built for i386 with thiscall on every interface method (wpf.h's
# WPF_METHOD under WPF_X86_THISCALL, warnings as errors, so that a function
# whose convention differs from its slot's does not build), against a Lua
# 5.4 for i386 built from Debian's lua5.4 source, and the C++ tests whose
# SDK classes declare their virtuals thiscall the same way run under
# qemu-i386, and so do the busted specs (the protocol-manager libraries,
# the sample in C++ and minipm in C, built the same way). GCC implements
# thiscall on i386 Linux as on Windows (this in ECX, the callee pops its
# stack arguments), so what passes here is the convention of a 32-bit IIS
# worker process. docs/windows.md says more.
.PHONY: x86 x86-build
X86_DIR = build/x86
X86_LUA = build/x86-lua
X86_CC ?= $(CC)
X86_CXX ?= $(CXX)
X86_DEFS = -m32 -Wno-psabi -DWPF_X86_THISCALL -D_POSIX_C_SOURCE=200809L -pthread
X86_CFLAGS = -std=c11 -fPIC -fvisibility=hidden $(OPT) $(CWARN) -Werror $(X86_DEFS) \
  $(INCFLAGS) -I$(X86_LUA)/include
X86_CXXFLAGS = -std=c++11 $(OPT) -Wall -Wextra -Werror $(X86_DEFS) $(INCFLAGS) -I$(X86_LUA)/include
x86_obj = $(1:%.c=$(X86_DIR)/obj/%.o)
X86_TESTS = $(X86_DIR)/test/abi_test $(X86_DIR)/test/provider_test $(X86_DIR)/test/luapm_test
X86_PMS = $(X86_DIR)/pm/samplepm.so $(X86_DIR)/pm/minipm.so $(X86_DIR)/pm/edgepm.so $(X86_DIR)/pm/broken.so

$(X86_LUA)/lua: tools/x86-lua.sh tools/debian-lua.sh tools/debian-source.sh
	@sh tools/x86-lua.sh $(X86_LUA) $(MINGW_SRC)
$(X86_LUA)/liblua.a $(X86_LUA)/include/lua.h: $(X86_LUA)/lua

$(X86_DIR)/obj/%.o: %.c $(HDR) | $(X86_LUA)/include/lua.h
	@mkdir -p $(dir $@)
	$(X86_CC) $(X86_CFLAGS) -c $< -o $@

# Like core.so, it does not link liblua: the i386 lua exports the API.
$(X86_DIR)/customaction/core.so: $(call x86_obj,$(SRC))
	@mkdir -p $(dir $@)
	$(X86_CC) -m32 -shared -pthread -o $@ $^

$(X86_DIR)/test/nativepeer.so: $(call x86_obj,$(PEER_SRC))
	@mkdir -p $(dir $@)
	$(X86_CC) -m32 -shared -pthread -o $@ $^

# busted's system.core, a test-only stand-in: see the file
$(X86_DIR)/busted/system/core.so: $(call x86_obj,tests/windows/system_core.c)
	@mkdir -p $(dir $@)
	$(X86_CC) -m32 -shared -o $@ $^

$(X86_DIR)/pm/samplepm.so: examples/pm/samplepm.cpp include/wpframework.hpp include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(X86_CXX) -shared -fPIC -fvisibility=hidden $(X86_CXXFLAGS) -o $@ $<

$(X86_DIR)/pm/minipm.so: tests/pm/minipm.c include/wpfcall.h
	@mkdir -p $(dir $@)
	$(X86_CC) -shared $(X86_CFLAGS) -o $@ $<

$(X86_DIR)/pm/edgepm.so: tests/pm/edgepm.c include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(X86_CC) -shared $(X86_CFLAGS) -o $@ $< -pthread

# Built to hold it to the convention; check_spec, which runs it, is left out below.
$(X86_DIR)/pm/broken.so: tests/pm/broken.c include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(X86_CC) -shared $(X86_CFLAGS) -o $@ $< -pthread

$(X86_DIR)/test/abi_test: tests/abi_test.cpp tests/sdk.hpp $(call x86_obj,tests/abi_c_side.c tests/luahost.c $(SRC)) $(X86_LUA)/liblua.a
	@mkdir -p $(dir $@)
	$(X86_CXX) $(X86_CXXFLAGS) -Itests -o $@ $(filter-out %.hpp,$^) -lm -ldl

$(X86_DIR)/test/provider_test: tests/provider_test.cpp tests/sdk.hpp tests/client.hpp $(call x86_obj,tests/luahost.c $(SRC)) $(X86_LUA)/liblua.a
	@mkdir -p $(dir $@)
	$(X86_CXX) $(X86_CXXFLAGS) -Itests -o $@ $(filter-out %.hpp,$^) -lm -ldl

# luapm.so carries its own Lua, as on Linux (mk/luapm.mk), here linked in.
$(X86_DIR)/customaction/luapm.so: $(call x86_obj,$(LUAPM_SRC) $(SRC)) $(X86_LUA)/liblua.a
	@mkdir -p $(dir $@)
	$(X86_CC) -m32 -shared -pthread -Wl,-Bsymbolic -o $@ $^ -ldl -lm

$(X86_DIR)/customaction/luapm.lua: examples/luapm.lua
	@mkdir -p $(dir $@)
	cp $< $@

# A native host that loads it as IIS would, through the SDK's classes.
$(X86_DIR)/test/luapm_test: tests/luapm_test.cpp tests/sdk.hpp | $(X86_DIR)/customaction/luapm.so \
  $(X86_DIR)/customaction/luapm.lua
	@mkdir -p $(dir $@)
	$(X86_CXX) $(X86_CXXFLAGS) -Itests -o $@ $< -ldl

x86-build: $(X86_DIR)/customaction/core.so $(X86_DIR)/test/nativepeer.so $(X86_PMS) \
  $(X86_DIR)/busted/system/core.so $(X86_TESTS)

# The specs as on Linux, every interpreter the i386 one under qemu-i386;
# busted's pure-Lua stack is on its default path (tools/x86-lua.sh). Left
# out by default, to keep the run short: cli_spec and extremes_spec, which
# (and check_spec, whose checks each run in a child interpreter) start
# hundreds of child interpreters (0.6 s each under qemu-i386) and
# cross no interface the others do not (make x86 X86_SPECS=spec runs all);
# the model-based test runs a tenth of its sequences, as make versions does.
X86_SPECS = $(filter-out spec/cli_spec.lua spec/extremes_spec.lua spec/check_spec.lua,$(wildcard spec/*_spec.lua))
X86_ENV = CA_BUILD=$(X86_DIR) CHILD_LUA='qemu-i386 $(X86_LUA)/lua' CA_EMULATOR=qemu-i386 CA_MODEL_SCALE=0.1 \
  LUA_CPATH='$(X86_DIR)/?.so;$(X86_DIR)/test/?.so;$(X86_DIR)/busted/?.so;$(X86_LUA)/?.so;;' \
  LUA_PATH='$(LUA_PATH_DEV)'

## make x86        the module for i386 with the 32-bit Windows interface
##                 convention (thiscall), its specs and ABI and provider tests
##                 under qemu-i386, and a check that a wrong convention does not build
x86: x86-build
	@$(X86_ENV) CHECK_CC='$(X86_CC) $(X86_CFLAGS)' CHECK_CXX='$(X86_CXX) $(X86_CXXFLAGS)' \
	  TALLY=$(TALLY) WRAP='sh tools/qemu-run.sh' QEMU_TIMEOUT=900 LUA=$(X86_LUA)/lua \
	  SPEC_ARGS='$(X86_SPECS)' sh tools/run-all.sh \
	  "tools/x86-load-check.sh $(X86_LUA)/lua $(X86_DIR)" $(X86_TESTS) tools/x86-wrong-check.sh
