# Vigil: the two commands are `make run` and `make check`.
# Both install the Debian 12 packages that are missing, then build with meson.

BUILDDIR ?= _build
ASAN_BUILDDIR ?= _build-asan
MESON_OPTS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BUILD_PACKAGES := meson ninja-build pkg-config gcc libglib2.0-dev libjson-glib-dev \
  libsoup-3.0-dev libsqlite3-dev libssl-dev libpq-dev libpg-query-dev openssl \
  libgtk-4-dev libadwaita-1-dev gettext libarchive-dev
RUN_PACKAGES := postgresql-15 postgresql-client-15
TEST_PACKAGES := $(RUN_PACKAGES) pgbouncer util-linux procps xvfb xauth dbus \
  desktop-file-utils appstream-util fonts-cantarell chromium
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
	  VIGIL_TEST_TIMEOUT_SCALE=3 meson test -C $(ASAN_BUILDDIR) --print-errorlogs --num-processes 2 --timeout-multiplier 3

# The pgbench table, then the other figures (masked SELECT, audit, classification, RSS).
# Sizes come from the environment or the command line (BENCH_SECONDS, BENCH_ROUNDS,
# BENCH_OTHER, ...: bench/README.md).
bench: build
	./bench/pgbench-compare.sh $(BUILDDIR)

clean:
	rm -rf $(BUILDDIR) $(ASAN_BUILDDIR)

# ---- fuzz: libFuzzer harnesses (tests/fuzz), each run for FUZZ_SECONDS --------------------
# Needs clang-14 and libclang-rt-14-dev (libFuzzer's runtime). The working corpus grows in
# $(FUZZ_BUILDDIR)/corpus/NAME (seeded from tests/fuzz/corpus/NAME), crashes land in
# $(FUZZ_BUILDDIR)/crashes/NAME/; copy each into tests/fuzz/regressions/NAME/. The engine
# harnesses (frontend, backend) keep one engine for the whole run, so neither libFuzzer nor
# LeakSanitizer at exit looks for leaks there (the others are checked for both).
FUZZ_BUILDDIR ?= _build-fuzz
FUZZ_SRCDIR ?= .
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?= frontend backend wire scram detect policy classify
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev

.PHONY: fuzz
fuzz: deps
	@missing=$$(for p in $(FUZZ_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	[ -f $(FUZZ_BUILDDIR)/build.ninja ] || CC=clang-14 meson setup $(FUZZ_BUILDDIR) $(FUZZ_SRCDIR) \
	  -Dfuzz=true -Dgui=false -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dc_args=-Wno-unused-variable
	meson compile -C $(FUZZ_BUILDDIR) $(addprefix fuzz-,$(FUZZ_HARNESSES))
	@status=0; summary=""; \
	for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(FUZZ_BUILDDIR)/corpus/$$h $(FUZZ_BUILDDIR)/crashes/$$h; \
	  case $$h in frontend|backend) leaks=0;; *) leaks=1;; esac; \
	  echo "== fuzz-$$h: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=abort_on_error=1:detect_leaks=$$leaks UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(FUZZ_BUILDDIR)/tests/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=4096 -detect_leaks=$$leaks -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILDDIR)/crashes/$$h/ \
	    $(FUZZ_BUILDDIR)/corpus/$$h tests/fuzz/corpus/$$h tests/fuzz/regressions/$$h \
	    > $(FUZZ_BUILDDIR)/fuzz-$$h.log 2>&1 || status=1; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_BUILDDIR)/fuzz-$$h.log | tail -n1); \
	  corpus=$$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' $(FUZZ_BUILDDIR)/fuzz-$$h.log | tail -n1 | cut -d' ' -f2); \
	  crashes=$$(ls $(FUZZ_BUILDDIR)/crashes/$$h | wc -l); \
	  line=$$(printf '%-10s executions %-9s corpus %-6s crashes %s' $$h "$${execs:-?}" "$$corpus" "$$crashes"); \
	  echo "$$line"; summary="$$summary$$line\n"; \
	  [ "$$crashes" = 0 ] || tail -n 40 $(FUZZ_BUILDDIR)/fuzz-$$h.log; \
	done; \
	printf "== fuzz summary (%s s each)\n$$summary" $(FUZZ_SECONDS); \
	exit $$status
