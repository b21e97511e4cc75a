# Whole-project checks: every Lua version, lint, docs, the source lists,
# and `make ci`, which runs every suite with one closing line.
.PHONY: versions lint docs ci
OTHER_LUAS = lua5.1 lua5.2 lua5.3 luajit

## make versions   make test and make sanitize on each of lua5.1 lua5.2 lua5.3 luajit
# (the model-based test runs a tenth of its sequences there: the protocol
# is the same on every Lua, the full count runs on 5.4; the checker's specs,
# whose time is its children's, run plain there and sanitized on 5.4 only).
# The specs that drive child interpreters (the command, the checker, the
# integer sweep) test Lua code, not the binding: they run on the oldest
# dialects (5.1, LuaJIT) and 5.4, which bracket 5.2 and 5.3.
CHILD_SPECS_EXCLUDE = --exclude-pattern=cli_spec --exclude-pattern=check_spec --exclude-pattern=extremes_spec
versions:
	@status=0; for v in $(OTHER_LUAS); do \
	  case $$v in lua5.2|lua5.3) sa='$(CHILD_SPECS_EXCLUDE)' ;; *) sa= ;; esac; \
	  echo "# Lua: $$v"; CA_MODEL_SCALE=0.1 SPEC_ARGS="$$sa" $(MAKE) -s test LUA=$$v TALLY=$(TALLY) || status=1; \
	  $(MAKE) -s sanitize LUA=$$v ASAN_MODEL_SCALE=0.05 ASAN_SPEC_EXTRA=--exclude-pattern=check_spec TALLY=$(TALLY) || status=1; \
	done; exit $$status

## make lint       luacheck, cppcheck, the layering and size rules, the source lists,
##                 the version copies
lint:
	@TALLY=$(TALLY) LUA=true CORE='$(NATIVE_SRC)' SRC='$(SRC)' MODULES='$(LUA_MODULES)' \
	  sh tools/run-all.sh --no-specs tools/lint.sh tools/sources-check.sh tools/version-check.sh

## make docs       the LDoc reference in build/docs, checked; README's size,
##                 its layout and every relative link of the Markdown docs;
##                 docs/windows.md's figures against the last make windows
docs: $(MODULE)
	@TALLY=$(TALLY) LUA=true LDOC='lua5.1 /usr/bin/ldoc' sh tools/run-all.sh --no-specs tools/docs-check.sh \
	  tools/links-check.lua tools/windows-doc.sh
	@echo "reference: build/docs/index.html"

## make ci         lint, docs, test, dist-check, test on every Lua, windows,
##                 windows-interlocked, windows32, x86, sanitize, tsan,
##                 valgrind, oom and fuzz, one closing line
# Two lanes run at once (tools/ci.sh), balanced by their times; CI_LANES=1
# runs them one after another. windows-interlocked follows windows in its
# lane: it uses that build's Wine prefix and test DLLs.
CI_LANE_A = lint docs test dist-check versions valgrind
CI_LANE_B = windows windows-interlocked windows32 x86 sanitize tsan oom fuzz bench-check
CI_STEPS = $(CI_LANE_A) $(CI_LANE_B)
.PHONY: shared-build
shared-build: all $(TEST_DEPS)
ci:
	@rm -f build/tally; mkdir -p build; status=0; \
	TALLY=$(CURDIR)/build/tally MAKE='$(MAKE)' sh tools/ci.sh '$(CI_LANE_A)' '$(CI_LANE_B)' || status=1; \
	sh tools/tally.sh build/tally || status=1; exit $$status
