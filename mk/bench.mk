# Benchmarks against the peers.
.PHONY: bench bench-versions bench-check

## make bench      benchmarks against the peers -> bench/results.md (QUICK=1)
bench: $(MODULE) $(SAMPLEPM) $(MINIPM)
	@QUICK=$(QUICK) SRC='$(SRC)' INCFLAGS='$(INCFLAGS)' SAMPLEPM='$(SAMPLEPM)' MINIPM='$(MINIPM)' sh bench/run.sh

## make bench-versions  cb:report cost on each Lua, as a ratio to 5.4
bench-versions:
	@for v in lua5.4 $(OTHER_LUAS); do $(MAKE) -s LUA=$$v >/dev/null || exit 1; done
	@LUAS='lua5.4 $(OTHER_LUAS)' sh tools/bench-versions.sh

## make bench-check  instructions per operation (callgrind) against
##                 bench/budgets; fails when one is over by more than 5 %
bench-check: $(MODULE) $(SAMPLEPM) $(MINIPM)
	@SRC='$(SRC)' INCFLAGS='$(INCFLAGS)' SAMPLEPM='$(SAMPLEPM)' MINIPM='$(MINIPM)' TALLY=$(TALLY) sh tools/bench-check.sh
