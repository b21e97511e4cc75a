# The checkers: ASan + UBSan, ThreadSanitizer, valgrind and the
# allocation-failure sweep. Each is the ordinary build in a tree of its own
# (build/asan, ...) with extra flags, so that what the checker sees is what
# `make` builds. The flags travel as shell words, never through $(call),
# whose commas would split them.
.PHONY: sanitize tsan valgrind oom

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
ASAN_DIR = $(BUILD)/asan
TSAN_DIR = $(BUILD)/tsan
VG_DIR = build/valgrind
OOM_DIR = build/oom
# CA_MODEL_SCALE: the model-based test (spec/model_spec.lua) runs this
# fraction of its sequences under a checker, to stay within CI's budget.
ASAN_MODEL_SCALE ?= 0.25
ASAN_ENV = CA_MODEL_SCALE=$(ASAN_MODEL_SCALE) ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=tests/lsan.supp
TSAN_ENV = CA_MODEL_SCALE=0.1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --track-origins=yes
# -fno-sanitize=vptr: the ABI test calls C objects through C++ classes,
# and such objects carry no C++ type information
san_make = $(MAKE) -s BUILD=$(1) OPT=-O1 CFLAGS='-O1 -g $(2)' CXXFLAGS='$(2) -fno-sanitize=vptr' LDFLAGS='$(2)'

# A Lua interpreter with the module and the native peer linked in and
# preloaded, so that the whole process is built with the checker's flags.
$(BUILD)/test/host: $(call obj,tests/host.c tests/luahost.c tests/peer/nativepeer.c $(SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LUA_LIBS) -lm

$(BUILD)/test/oom_sweep: $(call obj,tests/oom_sweep.c tests/luahost.c tests/peer/nativepeer.c $(SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LUA_LIBS) -lm

## make sanitize   specs and C tests under ASan+UBSan (both runtimes checked)
# The command's examples and the integer sweep do their work in plain child
# interpreters (CHILD_LUA), which would repeat make test unchecked: they
# are left out. The checker's children run on the sanitizer host.
ASAN_SPEC_ARGS = --exclude-pattern=cli_spec --exclude-pattern=extremes_spec $(ASAN_SPEC_EXTRA)
sanitize: $(MODULE) $(BUILD)/pm/samplepm.so $(BUILD)/pm/minipm.so $(BUILD)/pm/edgepm.so
	@$(call san_make,$(ASAN_DIR),$(ASAN_FLAGS)) $(ASAN_DIR)/test/host $(ASAN_DIR)/pm/samplepm.so $(ASAN_DIR)/pm/edgepm.so \
	  $(ASAN_DIR)/pm/broken.so $(CTESTS:$(BUILD)/%=$(ASAN_DIR)/%)
	@$(ASAN_ENV) CA_SAMPLEPM=$(ASAN_DIR)/pm/samplepm.so CA_EDGEPM=$(ASAN_DIR)/pm/edgepm.so CA_LUAPM=$(ASAN_DIR)/customaction/luapm.so \
	  CA_BROKENPM=$(ASAN_DIR)/pm/broken.so CUSTOMACTION_LUA=$(ASAN_DIR)/test/host \
	  CA_BUILD=$(BUILD) CHILD_LUA=$(LUA) LUA_CPATH='$(BUILD)/?.so;;' LUA_PATH='$(LUA_PATH_DEV)' \
	  LUA=$(ASAN_DIR)/test/host SPEC_ARGS='$(ASAN_SPEC_ARGS)' TALLY=$(TALLY) sh tools/run-all.sh \
	  "tools/sanitizer-check.sh $(ASAN_DIR)/test/host" $(CTESTS:$(BUILD)/%=$(ASAN_DIR)/%)

## make tsan       threaded specs and the stress test under ThreadSanitizer
# (the sample protocol manager loaded by load_spec and pm_close_test is
# built with the same flags, so its thread is checked too)
TSAN_SPECS = spec/threads_spec.lua spec/issuer_threads_spec.lua spec/faults_spec.lua \
  spec/model_spec.lua spec/load_spec.lua spec/provider_spec.lua spec/luapm_spec.lua
TSAN_TESTS = $(TSAN_DIR)/test/core_test $(TSAN_DIR)/test/stress_test $(TSAN_DIR)/test/pm_close_test \
  $(TSAN_DIR)/test/provider_test $(TSAN_DIR)/test/luapm_test
tsan:
	@$(call san_make,$(TSAN_DIR),$(TSAN_FLAGS)) $(TSAN_DIR)/test/host $(TSAN_TESTS) \
	  $(TSAN_DIR)/pm/samplepm.so $(TSAN_DIR)/pm/edgepm.so
	@$(TSAN_ENV) CA_SAMPLEPM=$(TSAN_DIR)/pm/samplepm.so CA_EDGEPM=$(TSAN_DIR)/pm/edgepm.so CA_LUAPM=$(TSAN_DIR)/customaction/luapm.so \
	  LUA_PATH='$(LUA_PATH_DEV)' LUA=$(TSAN_DIR)/test/host \
	  SPEC_ARGS='$(TSAN_SPECS)' TALLY=$(TALLY) sh tools/run-all.sh $(TSAN_TESTS)

## make valgrind   specs and C tests under valgrind memcheck, on an -O1 build
# The integer sweep, the CLI specs and the checker's do their work in child interpreters,
# which valgrind does not follow; the plain and ASan runs cover them.
VG_SPEC_ARGS = --exclude-pattern=extremes_spec --exclude-pattern=cli_spec --exclude-pattern=check_spec
VG_TESTS = $(VG_DIR)/test/core_test $(VG_DIR)/test/abi_test $(VG_DIR)/test/stress_test \
  $(VG_DIR)/test/pm_close_test $(VG_DIR)/test/provider_test $(VG_DIR)/test/capi_test \
  $(VG_DIR)/test/luapm_test
valgrind:
	@$(MAKE) -s BUILD=$(VG_DIR) OPT=-O1 $(VG_DIR)/customaction/core.so $(VG_DIR)/test/nativepeer.so \
	  $(VG_DIR)/pm/samplepm.so $(VG_DIR)/pm/minipm.so $(VG_DIR)/pm/edgepm.so $(VG_TESTS)
	@CA_BUILD=$(VG_DIR) CA_SAMPLEPM=$(VG_DIR)/pm/samplepm.so CA_EDGEPM=$(VG_DIR)/pm/edgepm.so CA_MODEL_SCALE=0.02 CA_TIME_SCALE=10 \
	  LUA_CPATH='$(VG_DIR)/?.so;$(VG_DIR)/test/?.so;;' LUA_PATH='$(LUA_PATH_DEV)' LUA=$(LUA) STRESS_N=10000 \
	  SPEC_ARGS='$(VG_SPEC_ARGS)' WRAP='$(VALGRIND)' TALLY=$(TALLY) sh tools/run-all.sh $(VG_TESTS)

## make oom        allocation-failure sweep under ASan
oom:
	@$(call san_make,$(OOM_DIR),$(ASAN_FLAGS) -DCA_ALLOC_HOOK) $(OOM_DIR)/test/oom_sweep
	@ASAN_OPTIONS=detect_leaks=1 TALLY=$(TALLY) LUA=true sh tools/run-all.sh --no-specs $(OOM_DIR)/test/oom_sweep
