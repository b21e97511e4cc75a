# The sample protocol manager (examples/pm/samplepm.cpp): a shared library
# built only from include/wpframework.hpp, as a protocol manager for IIS
# would be. The specs load it with ca.load (CA_SAMPLEPM names it), and so
# does `make demo`. Checker builds make their own copy in their tree, with
# their flags (CXXFLAGS last: a checker's -fno-sanitize=vptr must follow
# its -fsanitize=undefined, since our framework is a C object without the
# C++ type information UBSan's vptr check reads).
SAMPLEPM = $(BUILD)/pm/samplepm.so
MINIPM = $(BUILD)/pm/minipm.so

$(BUILD)/pm/samplepm.so: examples/pm/samplepm.cpp include/wpframework.hpp include/wpf.h include/wpfcall.h mk/pm.mk
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -shared -fPIC -fvisibility=hidden $(OPT) -g -Wall -Wextra -pthread \
	  -Iinclude -o $@ $< $(LDFLAGS) $(CXXFLAGS)

# A protocol manager in plain C with declarations of its own (of ours only
# wpfcall.h's calling-convention macros): ca.load must work with any library
# that has the layout.
$(BUILD)/pm/minipm.so: tests/pm/minipm.c include/wpfcall.h mk/pm.mk
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC -fvisibility=hidden $(OPT) -g $(CWARN) -Iinclude -o $@ $< $(LDFLAGS) $(CFLAGS)

# A protocol manager that calls the framework the way ordinary ones do not
# (reasons that are not UTF-16, NULL reasons, requests from its own threads
# while the binding closes, a request inside Shutdown). POSIX threads: the
# specs that load it skip on Windows.
$(BUILD)/pm/edgepm.so: tests/pm/edgepm.c include/wpf.h mk/pm.mk
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC -fvisibility=hidden $(OPT) -g $(CWARN) -pthread -Iinclude -o $@ $< $(LDFLAGS) $(CFLAGS)

# A protocol manager that breaks one rule on request (its APP_POOL_NAME
# setting names the misbehaviour), for the conformance checker's specs.
$(BUILD)/pm/broken.so: tests/pm/broken.c include/wpf.h mk/pm.mk
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -shared -fPIC -fvisibility=hidden $(OPT) -g $(CWARN) -pthread -Iinclude -o $@ $< $(LDFLAGS) $(CFLAGS)
