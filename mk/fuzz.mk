# libFuzzer targets (clang), each run FUZZ_SECONDS from tests/fuzz/corpus.
.PHONY: fuzz
FUZZ_DIR = build/fuzz
FUZZ_TARGETS = hresult utf16 report scenario
FUZZ_SECONDS ?= 10
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 \
  -D_POSIX_C_SOURCE=200809L $(INCFLAGS)

$(FUZZ_DIR)/fuzz_hresult: tests/fuzz/fuzz_hresult.c src/core/hresult.c src/core/platform.c $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -pthread

$(FUZZ_DIR)/fuzz_utf16: tests/fuzz/fuzz_utf16.c src/core/utf16.c $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_DIR)/fuzz_report $(FUZZ_DIR)/fuzz_scenario: $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/luahost.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(LUA_CFLAGS) -Itests -o $@ $< tests/luahost.c $(SRC) $(LUA_LIBS) -lm -pthread

## make fuzz       libFuzzer targets, FUZZ_SECONDS each
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) TALLY=$(TALLY) LUA=true sh tools/run-all.sh --no-specs \
	  "tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TARGETS)"
