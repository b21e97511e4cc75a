# Release files: `make dist` writes the source tarball and the .src.rock of
# HEAD into build/dist (make dist-src), and the binary rock for 64-bit
# Windows (make winrock, mk/winrock.mk); `make dist-check` installs the
# .src.rock offline into a fresh tree and runs it (make ci runs it).
.PHONY: dist dist-src dist-check

## make dist       release files of HEAD in build/dist: source tarball
##                 (git archive), .src.rock (luarocks pack, offline) and
##                 the win32-x86_64 binary rock (make winrock)
dist: dist-src

dist-src:
	@DIST=build/dist sh tools/dist.sh

## make dist-check make dist-src, then install the .src.rock offline into an
##                 empty tree and run the module and the command from it
dist-check: dist-src
	@TALLY=$(TALLY) LUA=$(LUA) sh tools/run-all.sh --no-specs tools/dist-check.sh
