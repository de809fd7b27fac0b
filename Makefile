# The face of CMake. `make serve` and `make test` are the two set-up commands of the README:
# both install what is missing (make deps) and build first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
DESTDIR    ?=
SKIP_TESTS ?=
DEB_BUILD  ?= build-release
DEB_DIR    ?= $(DEB_BUILD)/deb
CMAKE_FLAGS ?=

DEB_PACKAGES := build-essential cmake ninja-build pkg-config ccache git \
  libsqlitecpp-dev libsqlite3-dev sqlite3 libcli11-dev libcpp-httplib-dev nlohmann-json3-dev \
  libyaml-cpp-dev libspdlog-dev libcurl4-openssl-dev libssl-dev doctest-dev \
  libhowardhinnant-date-dev prometheus-cpp-dev tzdata openssl \
  python3 python3-pytest python3-aiosmtpd prometheus logrotate systemd clang-format \
  dpkg-dev file

.PHONY: all deps build test test-unit test-asan serve clean format deploy deb bench

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -R '^unit: '

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHYPERSDK_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

serve: build
	./$(BUILD)/hypersdk serve

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

# Build, run the tests (SKIP_TESTS=1 skips them), install under $(DESTDIR)$(PREFIX): the binary,
# its hyperctl/hypervisord links, the systemd units, sysusers/tmpfiles, logrotate, the alert
# rules and /etc/hypersdk/config.yaml when there is none (packaging/install.cmake). The binary
# it replaces is kept as hypersdk.previous: the rollback (README, "Upgrade and rollback").
deploy: build
ifeq ($(SKIP_TESTS),)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
endif
	@bin="$(DESTDIR)$(PREFIX)/bin"; \
	if [ -f "$$bin/hypersdk" ] && [ ! -L "$$bin/hypersdk" ] && ! cmp -s "$$bin/hypersdk" "$(BUILD)/hypersdk"; then \
	  cp -p "$$bin/hypersdk" "$$bin/hypersdk.previous" && echo "kept the previous binary as $$bin/hypersdk.previous"; \
	fi
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then \
	  systemd-sysusers hypersdk.conf && systemd-tmpfiles --create hypersdk.conf && systemctl daemon-reload && \
	  echo "installed; now: systemctl restart hypervisord (or enable --now on a first install)"; \
	fi

# A .deb of a build without test hooks: $(DEB_DIR)/hypersdk_<version>_<arch>.deb.
deb: deps
	@[ -f $(DEB_BUILD)/build.ninja ] || cmake -S . -B $(DEB_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHYPERSDK_TEST_HOOKS=OFF $(CMAKE_FLAGS)
	cmake --build $(DEB_BUILD) -j $(JOBS) --target hypersdk
	cd $(DEB_BUILD) && cpack -G DEB -B "$(abspath $(DEB_DIR))"
	@ls -1 $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEB_BUILD)
