# spirelab — build, test, benchmark, install.  See README.md.
#   make            library + build/spirelab
#   make MPI=1      the MPI-enabled build-mpi/spirelab (mpicc; docs/mpi.md)
#   make test       every CUnit suite and the command-line tests (SAN=1: under ASan+UBSan)
#   make run        install what is missing, build, regenerate the main results
#   make bench      benchmarks (bench/)
#   make deps       install the Debian packages (root), or print the apt-get line
#   make install PREFIX=/usr/local DESTDIR=   library, public headers, spirelab.pc, the command

CC      ?= gcc
SAN     ?= 0
MPI     ?= 0
PREFIX  ?= /usr/local
DESTDIR ?=
ifeq ($(MPI),1)
# Only cli/dist.c uses MPI (-DSPL_MPI); the library stays MPI-free.
CC       = mpicc
MPIFLAGS = -DSPL_MPI
MPISUF   = -mpi
else
MPIFLAGS =
MPISUF   =
endif
ifeq ($(SAN),1)
BUILD   ?= build$(MPISUF)-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT      = -O1 -g
else
BUILD   ?= build$(MPISUF)
SANFLAGS =
OPT      = -O2 -g
endif

# Debian 12 packages the project needs to build, test and draw.
DEB_PKGS = build-essential pkg-config libgsl-dev libopenblas-dev liblapacke-dev \
           libcunit1-dev zlib1g-dev gnuplot-nox bsdextrautils \
           libopenmpi-dev openmpi-bin

# Flags from pkg-config; OpenBLAS provides CBLAS (GSL's own gslcblas is not linked).
PKG_CFLAGS = $(shell pkg-config --cflags gsl lapacke cunit openblas 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs-only-L gsl lapacke openblas 2>/dev/null) -lgsl -llapacke \
             $(shell pkg-config --libs openblas 2>/dev/null) -lz -lm
CU_LIBS    = $(shell pkg-config --libs cunit 2>/dev/null)

CFLAGS  += -std=c11 $(OPT) -Wall -Wextra -Werror -fopenmp -D_GNU_SOURCE -I. $(SANFLAGS)
LDFLAGS += -fopenmp $(SANFLAGS)

LIB_DIRS = common gmm ddpm spire proofs_check plots paper_figs
LIB_SRC  = $(wildcard $(addsuffix /*.c,$(LIB_DIRS)))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC  = $(wildcard cli/*.c)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC = $(wildcard tests/*.c)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/%)
LIB      = $(BUILD)/libspirelab.a
VERSION  = $(shell sed -n 's/^\#define SPL_VERSION "\(.*\)"/\1/p' common/spl.h)

# Headers: the public ones are installed.  Private headers (used inside the
# library only) are named *_internal.h or listed here; template bodies that a
# .c file includes textually to instantiate float and double twins are named
# *_body.inc (not headers: they #undef their parameters at the end).
PRIVATE_HDRS = ddpm/draw.h $(wildcard $(addsuffix /*_internal.h,$(LIB_DIRS)))
PUBLIC_HDRS  = $(filter-out $(PRIVATE_HDRS),$(wildcard $(addsuffix /*.h,$(LIB_DIRS))))

.PHONY: all test install-check run bench deps install clean figs reference check-seeds
.DEFAULT_GOAL := all

all: $(BUILD)/spirelab

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# the float layers: errno-free sqrt lets the AdamW loop vectorise (spire/nn.c)
$(BUILD)/obj/spire/nn.o: CFLAGS += -fno-math-errno

# The distribution layer: the only file that sees MPI (in the MPI build).
$(BUILD)/obj/cli/dist.o: cli/dist.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MPIFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/spirelab: $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

# tests/cu_honest.c computes its reference in quad precision (gcc's libquadmath)
$(BUILD)/cu_tester: $(TEST_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(PKG_LIBS) $(CU_LIBS) -lquadmath

$(BUILD)/bench_%: bench/bench_%.c $(LIB)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# Studies behind docs/claims.md that are not tests (tests/studies/*.c; not in CI).
$(BUILD)/study_%: tests/studies/%.c $(LIB)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# ASan's leak checker does not work under ptrace (gdb, strace) and OpenMP keeps
# its thread pool alive at exit; neither is a leak of ours.
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# The Debian packages are not installed here (no apt-get): that is `make deps`
# (and `make run`'s) job; .ci/run calls `make deps` first.
# The MPI checks (tests/cli/mpi.sh) run build-mpi/spirelab under mpirun; it is
# built here when mpicc is installed (else those checks say they are skipped).
HAVE_MPICC := $(shell command -v mpicc 2>/dev/null)
MPI_BIN     = build-mpi/spirelab

test: $(BUILD)/cu_tester $(BUILD)/spirelab
ifneq ($(HAVE_MPICC),)
	$(MAKE) --no-print-directory MPI=1 SAN=0 BUILD=build-mpi $(MPI_BIN)
endif
	$(SAN_ENV) $(BUILD)/cu_tester
	$(SAN_ENV) SPIRELAB=$(BUILD)/spirelab SPIRELAB_MPI=$(MPI_BIN) bash tests/cli_test.sh
	$(MAKE) --no-print-directory install-check

# make install into a temporary PREFIX, then build and run a program from
# outside the tree against it through pkg-config (tests/install_check.sh).
install-check: $(BUILD)/spirelab
	$(SAN_ENV) MAKE="$(MAKE)" CC="$(CC)" BUILD=$(BUILD) SAN=$(SAN) SANFLAGS="$(SANFLAGS)" bash tests/install_check.sh

# The main results: every figure (theory F1-F11, F18-F20; federated F12-F17,
# F21) with its data, script and caption, the claim tables C1-C13 and E1-E5,
# index.html and REPORT.md, into paper_figs/out/.  The federated recipes run
# each preset's experiment once (10 seeds; spire/experiment.h) and write its
# tables into paper_figs/out/spire_<preset>/.  Under 15 minutes on 2 cores.
run: deps all
	$(BUILD)/spirelab figs --out paper_figs/out

# The seed study of spirelab check (docs/claims.md; not in CI): every claim for
# seeds CHECK_SEEDS, quick then full mode, one claim at a time under nice, then
# the power study (--mutant) of the random claims in full mode, then the
# verdicts E1-E5 over repeated experiments.  One CSV per claim and study in
# $(BUILD)/check-seeds/; fails if any claim fails its rate.
# About 3 hours on 2 idle cores with 20 seeds (the full mode is most of it).
CHECK_SEEDS  ?= 1:20
CHECK_CLAIMS ?= C1 C2 C3 C4 C5 C6 C7 C8 C9 C10 C11 C12 C13
CHECK_RANDOM ?= C4 C5 C6 C7 C9 C10 C11 C13
# the federated verdicts E1-E5: CHECK_EXP_REPS whole 10-seed experiments per preset
# (disjoint seeds; tests/studies/exp_seeds.sh), each with --mutant: the true
# model's verdicts (null study) and the wrong models' (power study) of one run
# (20 repetitions: gmm2 ~10 min, gmmK ~16 min, digits ~35 min on 2 cores; FIRST=201 in the
# environment moves the seeds to 201-400, as docs/claims.md's newest study)
CHECK_EXP_PRESETS ?= gmm2 gmmK digits
CHECK_EXP_REPS    ?= 20
check-seeds: $(BUILD)/spirelab
	@mkdir -p $(BUILD)/check-seeds
	@rc=0; \
	for mode in quick full; do for c in $(CHECK_CLAIMS); do \
	  flag=; [ $$mode = quick ] && flag=--quick; \
	  nice -n 10 $(BUILD)/spirelab check $$flag --only $$c --seeds $(CHECK_SEEDS) \
	    >$(BUILD)/check-seeds/null-$$mode-$$c.csv 2>$(BUILD)/check-seeds/null-$$mode-$$c.log || rc=1; \
	  tail -n +2 $(BUILD)/check-seeds/null-$$mode-$$c.csv | sed "s/^/null $$mode: /"; \
	done; done; \
	for c in $(CHECK_RANDOM); do \
	  nice -n 10 $(BUILD)/spirelab check --mutant --only $$c --seeds $(CHECK_SEEDS) \
	    >$(BUILD)/check-seeds/power-full-$$c.csv 2>$(BUILD)/check-seeds/power-full-$$c.log || rc=1; \
	  tail -n +2 $(BUILD)/check-seeds/power-full-$$c.csv | sed "s/^/power full: /"; \
	done; \
	for p in $(CHECK_EXP_PRESETS); do \
	  nice -n 10 bash tests/studies/exp_seeds.sh $(BUILD)/spirelab $$p $(CHECK_EXP_REPS) $(BUILD)/check-seeds/exp --mutant \
	    >$(BUILD)/check-seeds/exp-$$p.csv 2>$(BUILD)/check-seeds/exp-$$p.log || rc=1; \
	  grep -v '^preset,' $(BUILD)/check-seeds/exp-$$p.csv | sed "s/^/experiments: /"; \
	done; exit $$rc

figs: all
	$(BUILD)/spirelab figs --out paper_figs/out

bench: deps $(BENCH_BIN) $(BUILD)/spirelab
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	@for s in bench/*.sh; do [ -f "$$s" ] || continue; echo "== $$s"; \
	  SPIRELAB=$(BUILD)/spirelab BUILD=$(BUILD) bash $$s || exit 1; done

# Regenerate the fixtures that tests compare against (independent implementations
# in Python: NumPy, PyTorch from Debian's python3-numpy / python3-torch).
reference: $(BUILD)/spirelab
	@for s in bench/reference/*.py; do [ -f "$$s" ] || continue; echo "== $$s"; \
	  SPIRELAB=$(BUILD)/spirelab /usr/bin/python3 $$s || exit 1; done

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages; run:"; echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/spirelab
	install -m 755 $(BUILD)/spirelab $(DESTDIR)$(PREFIX)/bin/spirelab
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libspirelab.a
	for h in $(PUBLIC_HDRS); do install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/spirelab/$$h || exit 1; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' spirelab.pc.in >$(BUILD)/spirelab.pc
	install -m 644 $(BUILD)/spirelab.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/spirelab.pc

clean:
	rm -rf build build-san build-mpi build-mpi-san

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
