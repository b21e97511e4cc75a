# The sample protocol manager (examples/pm/samplepm.cpp): a shared library
# built only from include/wpframework.hpp, as a protocol manager for IIS
# would be. The specs load it with ca.load (CA_SAMPLEPM names it), and so
# does `make demo`. Checker builds make their own copy in their tree, with
# their flags.
SAMPLEPM = $(BUILD)/pm/samplepm.so

$(BUILD)/pm/samplepm.so: examples/pm/samplepm.cpp include/wpframework.hpp include/wpf.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -shared -fPIC -fvisibility=hidden $(OPT) -g -Wall -Wextra -pthread \
	  $(CXXFLAGS) -Iinclude -o $@ $< $(LDFLAGS)
