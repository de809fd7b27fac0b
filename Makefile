# The face of CMake. `make serve` and `make test` are the two set-up commands of the README:
# both install what is missing (make deps) and build first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
DESTDIR    ?=
SKIP_TESTS ?=
DEB_BUILD  ?= build-release
DEB_DIR    ?= $(DEB_BUILD)/deb
CMAKE_FLAGS ?=

# Debian packages, in three groups (README, "Deploy"): building (also what `make deploy`
# needs to build and unit-test), the product at run time, and the test tools only `make test`
# needs. `make deploy` and `make deb` install the first two only; `make deps` installs all.
BUILD_PACKAGES := build-essential cmake ninja-build pkg-config ccache git \
  libsqlitecpp-dev libsqlite3-dev libcli11-dev libcpp-httplib-dev nlohmann-json3-dev \
  libyaml-cpp-dev libspdlog-dev libcurl4-openssl-dev libssl-dev doctest-dev \
  libhowardhinnant-date-dev prometheus-cpp-dev
RUNTIME_PACKAGES := tzdata sqlite3 logrotate systemd
# `make deb`: dpkg-shlibdeps (dpkg-dev) and file, for the package's dependencies.
DEB_TOOL_PACKAGES := dpkg-dev file
DEB_PACKAGES := $(BUILD_PACKAGES) $(RUNTIME_PACKAGES) $(DEB_TOOL_PACKAGES) \
  python3 python3-pytest python3-aiosmtpd prometheus clang-format openssl \
  golang-go golang-github-vmware-govmomi-dev
# make fuzz: clang with libFuzzer and the sanitizer runtimes.
DEB_PACKAGES += clang libclang-rt-14-dev
# Upload targets' tests: OpenSSH's sshd for SFTP, nginx (its DAV module) for WebDAV; nginx is
# also the peer of `make bench`.
DEB_PACKAGES += openssh-server openssh-client nginx-light
# WebDAV listings (PROPFIND, for keep_last on webdav targets): nginx's dav-ext module.
DEB_PACKAGES += libnginx-mod-http-dav-ext

# Providers and exports: qemu-img converts disks at run time; xmllint checks OVFs in tests.
RUNTIME_PACKAGES += qemu-utils
DEB_PACKAGES += qemu-utils libxml2-utils

# The libvirt provider: libvirt's C API to build and run; its tests start a session libvirtd
# with QEMU (TCG is enough) and use the clients (virsh) to set up domains.
BUILD_PACKAGES += libvirt-dev
RUNTIME_PACKAGES += libvirt0
# (DEB_PACKAGES was expanded above, so it names the build and runtime ones again.)
DEB_PACKAGES += libvirt-dev libvirt0 libvirt-daemon libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 libvirt-clients
# The vsphere provider parses vim25 SOAP answers with libxml2 (Debian's, also what xmllint
# uses; it parses without network access or entity expansion).
BUILD_PACKAGES += libxml2-dev
RUNTIME_PACKAGES += libxml2
DEB_PACKAGES += libxml2-dev libxml2

# test_cli_completion: `man -l` renders the generated page.
DEB_PACKAGES += man-db

# test_web_dashboard: the dashboard in headless chromium, driven by selenium.
DEB_PACKAGES += chromium chromium-driver python3-selenium

# The PostgreSQL store (issue 17): libpq to build and run; the server for its tests
# (tests/pg/with_pg.sh starts a throwaway one as nobody: ctest's unit-pg and it: test_pg_*).
BUILD_PACKAGES += libpq-dev
RUNTIME_PACKAGES += libpq5
DEB_PACKAGES += libpq-dev libpq5 postgresql
# ss (iproute2): tests/integration/test_api_connections.py reads the API's listen backlog.
DEB_PACKAGES += iproute2

# The peers `make bench` measures hypersdk against (bench/run.py); never needed by tests.
BENCH_PACKAGES := beanstalkd wrk hyperfine

# Installs the missing ones of $(1) with apt-get (sudo unless root).
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: all deps deps-npm deps-build build test test-unit test-asan serve clean format deploy deb bench \
  fuzz fuzz-build test-faults test-tsan

all: build

deps:
	$(call apt_install,$(DEB_PACKAGES))
	@$(MAKE) --no-print-directory deps-npm

# Test-only tools from the npm registry (independent implementations the integration tests
# check against: a SigV4-checking S3 server, Standard Webhooks, an OpenAPI validator), pinned
# by tests/node/package-lock.json. Reinstalled only when the lock file changes.
deps-npm: tests/node/node_modules/.package-lock.json

tests/node/node_modules/.package-lock.json: tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# What building and running the product needs, and nothing for the tests.
deps-build:
	$(call apt_install,$(BUILD_PACKAGES) $(RUNTIME_PACKAGES))

# $(BUILD) is the development and test build: with the test hooks (a fake clock for the
# integration tests). Installed builds come from $(DEB_BUILD), without them.
$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYPERSDK_TEST_HOOKS=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -R '^unit'

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHYPERSDK_SANITIZE=ON -DHYPERSDK_TEST_HOOKS=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# The fault suite (tests/faults/run_faults.py): FAULT_KILLS (>= 50) SIGKILLs of serve at seeded
# random moments while jobs, schedules, workflows, deliveries and exports run, eight CLI
# processes at once, then the invariants; FAULT_SEED reproduces a run. About 1.5 min.
FAULT_SEED  ?= 1
FAULT_KILLS ?= 50
test-faults: build
	/usr/bin/python3 tests/faults/run_faults.py --bin $(BUILD)/hypersdk --seed $(FAULT_SEED) --kills $(FAULT_KILLS)

# ThreadSanitizer over the unit tests of the concurrent parts ($(TSAN_BUILD), gcc
# -fsanitize=thread; only their binary, hypersdk_tsan_unit, listed in tests/CMakeLists.txt):
# worker pool, group commit writer, database, scheduler, API server and SSE, notifier, exec
# jobs, readiness, signals, workflow store. A race fails the run. tests/tsan.supp holds
# suppressions for third-party code only, each with its reason.
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYPERSDK_TSAN=ON -DHYPERSDK_TEST_HOOKS=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target hypersdk_tsan_unit
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ./tests/hypersdk_tsan_unit

# Every benchmark beside its reference from the same run; appends to bench/RESULTS.md.
bench: build
	$(call apt_install,$(BENCH_PACKAGES))
	cmake --build $(BUILD) -j $(JOBS) --target queue_bench raw_sqlite_bench
	bench/run.py $(BUILD)

# libFuzzer targets for the parsers (tests/fuzz/fuzz_*.cpp) with ASan+UBSan, built with
# Debian's clang; each runs FUZZ_SECONDS (CI: 30) from the seed corpus in tests/fuzz/corpus/,
# keeping what it finds in $(FUZZ_BUILD)/corpus/ and a crashing input as
# $(FUZZ_BUILD)/crash-*. The core parsers need no other library than date-tz.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := cron window holiday_ics config api_json soap ova
FUZZ_CXX     ?= clang++
FUZZ_CCACHE  := $(shell command -v ccache 2>/dev/null)
FUZZ_FLAGS   := -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
  -fno-sanitize-recover=undefined -DUSE_OS_TZDB=1 -DONLY_C_LOCALE=1 -DHAS_STRING_VIEW=1 -Isrc
FUZZ_CORE_OBJS := $(patsubst src/core/%.cpp,$(FUZZ_BUILD)/core/%.o,$(wildcard src/core/*.cpp))

$(FUZZ_BUILD)/core/%.o: src/core/%.cpp $(wildcard src/core/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CCACHE) $(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.cpp $(FUZZ_CORE_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) -ldate-tz -o $@

# The config loader and the API's JSON parsers need ops/ and wire/ too (nlohmann, yaml-cpp).
FUZZ_LIB_SRCS := $(wildcard src/wire/*.cpp) $(filter-out src/ops/log%.cpp src/ops/sd_notify.cpp \
  src/ops/signals.cpp src/ops/metrics.cpp src/ops/process.cpp,$(wildcard src/ops/*.cpp))
FUZZ_LIB_OBJS := $(patsubst src/%.cpp,$(FUZZ_BUILD)/%.o,$(FUZZ_LIB_SRCS))

FUZZ_LIB_HDRS := $(wildcard src/core/*.h src/wire/*.h src/ops/*.h)
$(FUZZ_BUILD)/wire/%.o: src/wire/%.cpp $(FUZZ_LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CCACHE) $(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/ops/%.o: src/ops/%.cpp $(FUZZ_LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CCACHE) $(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_config $(FUZZ_BUILD)/fuzz_api_json: $(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.cpp \
    tests/fuzz/fuzz_store_stubs.cpp $(FUZZ_CORE_OBJS) $(FUZZ_LIB_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< tests/fuzz/fuzz_store_stubs.cpp \
	  $(FUZZ_LIB_OBJS) $(FUZZ_CORE_OBJS) -lyaml-cpp -ldate-tz -o $@

# A vSphere server's SOAP answers (libxml2) and OVA packages (the export reader, OpenSSL).
FUZZ_SOAP_OBJS := $(FUZZ_BUILD)/vsphere/soap_answer.o $(FUZZ_BUILD)/vsphere/xml.o \
  $(FUZZ_BUILD)/vsphere/soap_client.o
FUZZ_OVA_OBJS := $(patsubst src/%.cpp,$(FUZZ_BUILD)/%.o,src/export/ova.cpp \
  src/export/atomic_output.cpp src/export/sha256.cpp src/export/sha256_pair.cpp \
  src/export/ustar.cpp src/export/byte_pump.cpp src/export/ovf.cpp)
$(FUZZ_BUILD)/vsphere/%.o: src/vsphere/%.cpp $(wildcard src/vsphere/*.h) $(FUZZ_LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CCACHE) $(FUZZ_CXX) $(FUZZ_FLAGS) -I/usr/include/libxml2 -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/export/%.o: src/export/%.cpp $(wildcard src/export/*.h) $(FUZZ_LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CCACHE) $(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/fuzz_soap: tests/fuzz/fuzz_soap.cpp $(FUZZ_SOAP_OBJS) $(FUZZ_CORE_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_SOAP_OBJS) $(FUZZ_CORE_OBJS) \
	  -lxml2 -lcurl -lssl -lcrypto -ldate-tz -o $@
$(FUZZ_BUILD)/fuzz_ova: tests/fuzz/fuzz_ova.cpp $(FUZZ_OVA_OBJS) $(FUZZ_CORE_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OVA_OBJS) $(FUZZ_CORE_OBJS) \
	  -lcrypto -lpthread -ldate-tz -o $@

# Directory listings of WebDAV (libxml2) and SFTP servers (targets/remote_listing.cpp).
FUZZ_TARGETS += remote_listing
$(FUZZ_BUILD)/fuzz_remote_listing: tests/fuzz/fuzz_remote_listing.cpp src/targets/remote_listing.cpp \
    src/targets/remote_listing.h $(FUZZ_CORE_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -I/usr/include/libxml2 -fsanitize=fuzzer $< \
	  src/targets/remote_listing.cpp $(FUZZ_CORE_OBJS) -lxml2 -ldate-tz -o $@

FUZZ_TARGETS += inline_health
$(FUZZ_BUILD)/fuzz_inline_health: tests/fuzz/fuzz_inline_health.cpp src/api/inline_health_request.cpp \
    src/api/inline_health.h
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< src/api/inline_health_request.cpp -o $@

.SECONDARY: $(FUZZ_CORE_OBJS) $(FUZZ_LIB_OBJS) $(FUZZ_SOAP_OBJS) $(FUZZ_OVA_OBJS)  # kept, so a changed target relinks only

fuzz-build: deps $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

serve: build
	./$(BUILD)/hypersdk serve

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# The release build (no test hooks) that `make deploy` and `make deb` install.
$(DEB_BUILD)/build.ninja:
	cmake -S . -B $(DEB_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYPERSDK_TEST_HOOKS=OFF $(CMAKE_FLAGS)

# Installs only what building and running need (deps-build), builds $(DEB_BUILD) without test
# hooks, runs the unit tests and a smoke test of the new binary on a scratch database
# (packaging/smoke_test.sh; SKIP_TESTS=1 skips both) before it replaces anything, then
# installs under $(DESTDIR)$(PREFIX): the binary, its hyperctl/hypervisord links, the systemd
# units, sysusers/tmpfiles, logrotate, the alert rules and /etc/hypersdk/config.yaml when there
# is none (packaging/install.cmake). The binary it replaces is kept as hypersdk.previous: the
# rollback (README, "Upgrade and rollback"). The integration suite is `make test`'s (and CI's).
deploy: deps-build $(DEB_BUILD)/build.ninja
	cmake --build $(DEB_BUILD) -j $(JOBS) --target hypersdk $(if $(SKIP_TESTS),,hypersdk_unit)
ifeq ($(SKIP_TESTS),)
	cd $(DEB_BUILD) && ./tests/hypersdk_unit
	packaging/smoke_test.sh $(DEB_BUILD)/hypersdk
endif
	@bin="$(DESTDIR)$(PREFIX)/bin"; \
	if [ -f "$$bin/hypersdk" ] && [ ! -L "$$bin/hypersdk" ] && ! cmp -s "$$bin/hypersdk" "$(DEB_BUILD)/hypersdk"; then \
	  cp -p "$$bin/hypersdk" "$$bin/hypersdk.previous" && echo "kept the previous binary as $$bin/hypersdk.previous"; \
	fi
	DESTDIR="$(DESTDIR)" cmake --install $(DEB_BUILD) --prefix $(PREFIX)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then \
	  systemd-sysusers hypersdk.conf && systemd-tmpfiles --create hypersdk.conf && systemctl daemon-reload && \
	  echo "installed; now: systemctl restart hypervisord (or enable --now on a first install)"; \
	fi

# A .deb of the release build (no test hooks): $(DEB_DIR)/hypersdk_<version>_<arch>.deb.
deb: deps-build $(DEB_BUILD)/build.ninja
	$(call apt_install,$(DEB_TOOL_PACKAGES))
	cmake --build $(DEB_BUILD) -j $(JOBS) --target hypersdk
	cd $(DEB_BUILD) && cpack -G DEB -B "$(abspath $(DEB_DIR))"
	@ls -1 $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEB_BUILD) $(FUZZ_BUILD)
