# Vigil: the two commands are `make run` and `make check`.
# Both install the Debian 12 packages that are missing, then build with meson.

BUILDDIR ?= _build
ASAN_BUILDDIR ?= _build-asan
MESON_OPTS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BUILD_PACKAGES := meson ninja-build pkg-config gcc libglib2.0-dev libjson-glib-dev \
  libsoup-3.0-dev libsqlite3-dev libssl-dev libpq-dev libpg-query-dev openssl \
  libgtk-4-dev libadwaita-1-dev gettext
RUN_PACKAGES := postgresql-15 postgresql-client-15
TEST_PACKAGES := $(RUN_PACKAGES) pgbouncer util-linux procps xvfb xauth dbus \
  desktop-file-utils appstream-util fonts-cantarell
PACKAGES := $(sort $(BUILD_PACKAGES) $(TEST_PACKAGES))

.PHONY: all deps build run check check-asan bench clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_OPTS)

build: deps $(BUILDDIR)/build.ninja
	meson compile -C $(BUILDDIR)

run: build
	./data/vigil-run.sh $(BUILDDIR)

check: build
	meson test -C $(BUILDDIR) --print-errorlogs --num-processes 2
	$(MAKE) check-asan

check-asan: deps
	[ -f $(ASAN_BUILDDIR)/build.ninja ] || meson setup $(ASAN_BUILDDIR) -Db_sanitize=address,undefined -Db_lundef=false
	meson compile -C $(ASAN_BUILDDIR)
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILDDIR) --print-errorlogs --num-processes 2 --timeout-multiplier 3

bench: build
	./bench/pgbench-compare.sh $(BUILDDIR)

clean:
	rm -rf $(BUILDDIR) $(ASAN_BUILDDIR)
