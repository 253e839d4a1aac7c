# SPDX-License-Identifier: MIT
# A thin wrapper over CMake and CTest. `make demo` and `make test` first install whatever
# Debian packages are missing (scripts/setup.sh; root on a fresh Debian bookworm machine).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2

.PHONY: all setup build asan demo test test-release test-asan test-fuzz test-slow test-valgrind bench clean

all: build

setup:
	@sh scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDISTILL_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The whole suite but the slow tests (unit, every end-to-end test, and memcheck over the
# unit tests and a representative end-to-end subset), then again under ASan+UBSan, then
# every libFuzzer target for a bounded time (clang).
test: test-release test-asan test-fuzz

test-release: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -LE 'slow|valgrind'

test-asan: asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE slow

# Not in `make test`: the slow tests (an 8 GiB sparse tarball).
test-slow: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L slow

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
test-fuzz: setup
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DDISTILL_FUZZ=ON -DFUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_elf fuzz_spec fuzz_lock fuzz_deb fuzz_stream fuzz_oci fuzz_ldso fuzz_layout \
	    fuzz_relation fuzz_secret fuzz_apt fuzz_cache
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j$(JOBS) -L fuzz

# Not in `make test`: every test under valgrind memcheck at full size (make test runs a
# subset, light), in its own build; about 50 minutes on two cores.
VG_BUILD ?= build-valgrind
test-valgrind: setup
	@cmake -S . -B $(VG_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVALGRIND_FULL=ON >/dev/null
	@cmake --build $(VG_BUILD) -j$(JOBS)
	ctest --test-dir $(VG_BUILD) --output-on-failure -j$(JOBS) -L 'valgrind|memcheck'

demo: build
	@sh scripts/demo.sh $(BUILD)/distill

bench: build
	bash bench/tar.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(VG_BUILD)
