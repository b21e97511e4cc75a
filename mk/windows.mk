# Windows: the core (no Lua) cross-compiled with mingw-w64, warnings as
# errors, and its test run under Wine.
.PHONY: windows
MINGW_CC ?= x86_64-w64-mingw32-gcc
MINGW_DIR = build/mingw
MINGW_CFLAGS = -std=c11 $(OPT) $(CWARN) -Werror $(INCFLAGS)

$(MINGW_DIR)/obj/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(MINGW_CC) $(MINGW_CFLAGS) -c $< -o $@

$(MINGW_DIR)/core_test.exe: $(addprefix $(MINGW_DIR)/obj/,$(patsubst %.c,%.o,tests/core_test.c $(NATIVE_SRC)))
	$(MINGW_CC) $(MINGW_CFLAGS) -o $@ $^

## make windows    the core cross-compiled with mingw-w64, its test under Wine
windows: $(MINGW_DIR)/core_test.exe
	@WINEPREFIX=$(CURDIR)/$(MINGW_DIR)/wineprefix WINEDEBUG=-all TALLY=$(TALLY) LUA=true \
	  sh tools/run-all.sh --no-specs "tools/wine-run.sh $(MINGW_DIR)/core_test.exe"
