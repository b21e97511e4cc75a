# 32-bit Windows: the module, luapm and the two protocol-manager libraries
# cross-compiled for i686 with mingw-w64 (warnings as errors, so that a
# function whose calling convention differs from its slot's does not build:
# wpfcall.h makes every interface method thiscall there) against a Lua 5.4
# for i686 built from the same Debian source as make windows's. 32-bit
# programs cannot run on this machine (its kernel runs no 32-bit code, so
# Wine's 32-bit loader fails): the files' format, exports and imports are
# checked, and make x86 runs the same convention under qemu-i386.
.PHONY: windows32
MINGW32_CC ?= i686-w64-mingw32-gcc
MINGW32_CXX_POSIX ?= i686-w64-mingw32-g++-posix
MINGW32_DIR = build/mingw32
MINGW32_LUA = build/mingw32-lua
MINGW32_CFLAGS = -std=c11 $(OPT) $(CWARN) -Werror $(INCFLAGS) -I$(MINGW32_LUA)/include
mingw32_obj = $(1:%.c=$(MINGW32_DIR)/obj/%.o)
MINGW32_LUA_DLL = $(MINGW32_LUA)/lua54.dll

$(MINGW32_LUA)/lua.exe: tools/mingw-lua.sh tools/debian-lua.sh tools/debian-source.sh
	@MINGW_CC=$(MINGW32_CC) sh tools/mingw-lua.sh --lua-only $(MINGW32_LUA) $(MINGW_SRC)
$(MINGW32_LUA_DLL) $(MINGW32_LUA)/include/lua.h: $(MINGW32_LUA)/lua.exe

$(MINGW32_DIR)/obj/%.o: %.c $(HDR) | $(MINGW32_LUA)/include/lua.h
	@mkdir -p $(dir $@)
	$(MINGW32_CC) $(MINGW32_CFLAGS) -c $< -o $@

$(MINGW32_DIR)/customaction/core.dll: $(call mingw32_obj,$(SRC)) $(MINGW32_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW32_CC) -shared -static-libgcc -o $@ $^

$(MINGW32_DIR)/customaction/luapm.dll: $(call mingw32_obj,$(LUAPM_SRC) $(SRC)) $(MINGW32_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW32_CC) -shared -static-libgcc -o $@ $^

$(MINGW32_DIR)/pm/samplepm.dll: examples/pm/samplepm.cpp include/wpframework.hpp include/wpf.h include/wpfcall.h
	@mkdir -p $(dir $@)
	$(MINGW32_CXX_POSIX) -std=c++11 -shared $(OPT) -Wall -Wextra -Werror -Iinclude -static -o $@ $<

$(MINGW32_DIR)/pm/minipm.dll: tests/pm/minipm.c include/wpfcall.h
	@mkdir -p $(dir $@)
	$(MINGW32_CC) -std=c11 -shared -static-libgcc $(OPT) $(CWARN) -Werror -Iinclude -o $@ $<

MINGW32_DLLS = $(MINGW32_DIR)/customaction/core.dll $(MINGW32_DIR)/customaction/luapm.dll \
  $(MINGW32_DIR)/pm/samplepm.dll $(MINGW32_DIR)/pm/minipm.dll

## make windows32  core.dll, luapm.dll and the protocol-manager DLLs for
##                 32-bit Windows (i686), their format, exports and imports checked
windows32: $(MINGW32_DLLS)
	@MINGW_OBJDUMP=i686-w64-mingw32-objdump TALLY=$(TALLY) sh tools/run-all.sh --no-specs \
	  "tools/windows-check.sh $(MINGW32_LUA) $(MINGW32_DIR) i686"
