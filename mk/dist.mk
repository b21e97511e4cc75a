# Release files: `make dist` writes the source tarball and the .src.rock of
# HEAD into build/dist; `make dist-check` installs that rock offline into a
# fresh tree and runs it (make ci runs it).
.PHONY: dist dist-check

## make dist       release files of HEAD in build/dist: source tarball
##                 (git archive) and .src.rock (luarocks pack, offline)
dist:
	@DIST=build/dist sh tools/dist.sh

## make dist-check make dist, then install the .src.rock offline into an
##                 empty tree and run the module and the command from it
dist-check: dist
	@TALLY=$(TALLY) LUA=$(LUA) sh tools/run-all.sh --no-specs tools/dist-check.sh
