# The binary rock for 64-bit Windows and the Windows page's figures.
# make winrock (and so make dist) writes
# build/dist/customaction-<version>-1.win32-x86_64.rock (tools/winrock.lua)
# from the mingw-w64 build; make windows makes it anew, installs it with
# LuaRocks running under Wine and runs the module, the command's
# customaction.bat and luapm from that tree (tools/winrock-check.sh, one
# more suite of the run), and writes its counts and time to
# build/mingw/summary; make windows-doc puts them into docs/windows.md,
# and make docs fails while the page disagrees with the last summary.
.PHONY: winrock windows-doc windows-summary-reset
WINDOWS_SUMMARY = $(MINGW_DIR)/summary

## make winrock    build/dist/customaction-<version>-1.win32-x86_64.rock alone
##                 (make dist makes it too): HEAD's files, the mingw-w64 DLLs
dist: winrock
winrock: $(MINGW_DIR)/customaction/core.dll $(MINGW_DIR)/customaction/luapm.dll
	@DIST=build/dist MINGW_BUILD=$(MINGW_DIR) sh tools/dist.sh --windows

# LuaRocks needs a zlib module to unpack a rock; a test-only stand-in (see
# the file) over the zlib of Debian's libz-mingw-w64-dev, linked in
$(MINGW_DIR)/luarocks/zlib.dll: tests/windows/zlib_standin.c $(MINGW_LUA_DLL)
	@mkdir -p $(dir $@)
	$(MINGW_CC) -std=c11 -shared $(OPT) $(CWARN) -Werror -I$(MINGW_LUA)/include -o $@ $^ \
	  -Wl,-Bstatic -lz

windows-build: $(MINGW_DIR)/luarocks/zlib.dll
# the rock's check is one more suite of the run (wine-run.sh runs a script
# as it is), on the rock made anew from HEAD and this build's DLLs (only
# that file: make ci's other lane may be reading the tarball)
MINGW_TESTS += tools/winrock-check.sh
windows: winrock windows-summary-reset
windows: export SUMMARY = $(CURDIR)/$(WINDOWS_SUMMARY)
windows-summary-reset:
	@mkdir -p $(MINGW_DIR)
	@rm -f $(WINDOWS_SUMMARY)

## make windows-doc  docs/windows.md's counts and time from the last
##                 make windows (build/mingw/summary); make docs checks them
windows-doc:
	@sh tools/windows-doc.sh --write $(WINDOWS_SUMMARY)
