# Benchmarks against the peers.
.PHONY: bench bench-versions

## make bench      benchmarks against the peers -> bench/results.md (QUICK=1)
bench: $(MODULE) $(SAMPLEPM)
	@QUICK=$(QUICK) SRC='$(SRC)' INCFLAGS='$(INCFLAGS)' SAMPLEPM='$(SAMPLEPM)' sh bench/run.sh

## make bench-versions  cb:report cost on each Lua, as a ratio to 5.4
bench-versions:
	@for v in lua5.4 $(OTHER_LUAS); do $(MAKE) -s LUA=$$v >/dev/null || exit 1; done
	@LUAS='lua5.4 $(OTHER_LUAS)' sh tools/bench-versions.sh
