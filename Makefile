# SPDX-License-Identifier: GPL-2.0
#
# The 6.12 port of mainline's Rust memory-mapping abstractions: make a kernel
# tree with the port applied, build it, test it under QEMU.  'make help'.

# The base: Debian's linux-source-6.12, pinned.  BASE=/path/to/linux-6.12.y
# takes a tree you already have instead (it is copied, never modified).
KERNEL_VERSION	:= 6.12.117
KERNEL_DEB	:= $(KERNEL_VERSION)-1~deb12u1
BASE		?=
RUST_VERSION	:= 1.96.0
BINDGEN_VERSION	:= 0.71.1

SHELL		:= /bin/bash

# What to build: ARCH is x86_64 or arm64, FLAVOUR picks
# port/configs/$(FLAVOUR).config on top of base.config and $(ARCH).config.
ARCH		?= x86_64
# The architectures make setup installs and make test runs: on x86_64 it
# also runs the ARCH_STAGES on an arm64 kernel, in build/arm64-default/.
TEST_ARCHS	:= x86_64 arm64
FLAVOUR		?= default
JOBS		?= $(shell nproc)
# Seconds a guest may run before it is declared hung.
GUEST_TIMEOUT	?= 300

# What 'make test' walks, in order; each stage records its cases in
# build/results/$(ARCH)-$(FLAVOUR)/<stage>.  A stage named STAGE-FLAVOUR is
# STAGE on the kernel of that flavour, built in its own build/$(ARCH)-FLAVOUR/:
# nosmp has no SMP, debug has KASAN, lockdep and kmemleak (x86_64 only:
# arm64 always has SMP, and one debug kernel is what the CI budget allows).
# stress and fuzz run on the debug kernel.
FLAVOUR_STAGES	:= $(if $(filter x86_64,$(ARCH)),kunit-nosmp kunit-debug modules-debug guest-debug)
ARCH_STAGES	:= $(if $(filter x86_64,$(ARCH)),kunit-arm64 modules-arm64 guest-arm64)
TEST_STAGES	:= lint series kunit kunit-xfail compile-fail modules guest \
		   $(FLAVOUR_STAGES) $(if $(filter x86_64,$(ARCH)),stress fuzz) $(ARCH_STAGES)
# The KUnit suites that must have run and passed, and the cases of each
# flavour that must have passed rather than been skipped by their #[cfg].
KUNIT_SUITES	:= rust_doctests_kernel rust_kernel_kunit rust_mm rust_ipc_buffer
KUNIT_CASES_default := lock_vma_under_rcu_locks_one_vma
KUNIT_CASES_nosmp := lock_vma_under_rcu_without_per_vma_locks
KUNIT_CASES_debug := lock_vma_under_rcu_locks_one_vma
# The main KUnit run leaves out the suite that fails on purpose, which
# kunit-xfail runs on its own.
KUNIT_XFAIL	:= --filter=module!=rust_xfail_test
# The boots of each guest stage (port/guest-test.sh lists them).
GUEST_BOOTS	:= default pages4 module
# The fuzz stage's operations, and its seed (random unless given: the
# stage prints it, and FUZZ_SEED=N replays that run).
FUZZ_OPS	?= 100000
ifeq ($(origin FUZZ_SEED),undefined)
FUZZ_SEED	:= $(shell echo $$((RANDOM * 32768 + RANDOM)))
endif

# Everything below is derived.
ifneq ($(BASE),)
BASE_SRC	:= $(abspath $(BASE))
KERNEL_VERSION	:= $(shell port/base-version.sh '$(BASE)')
ifeq ($(filter 6.12.%,$(firstword $(KERNEL_VERSION))),)
$(error $(KERNEL_VERSION))
endif
else
BASE_SRC	:= /usr/src/linux-source-6.12.tar.xz
endif

TREE		:= $(CURDIR)/build/linux-$(KERNEL_VERSION)
O		:= $(CURDIR)/build/$(ARCH)-$(FLAVOUR)
RESULTS		:= $(CURDIR)/build/results/$(ARCH)-$(FLAVOUR)
# The flavours without the KUnit suites of suites.config.
NO_SUITES	:= bench
CONFIGS		:= $(addprefix port/configs/,base.config $(if $(filter $(NO_SUITES),$(FLAVOUR)),,suites.config) \
		   $(ARCH).config $(FLAVOUR).config)
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
$(foreach c,$(CONFIGS),$(if $(wildcard $(c)),,$(error $(c) not found: ARCH=$(ARCH) FLAVOUR=$(FLAVOUR) is not supported)))
endif
ifneq ($(words $(CURDIR)),1)
$(error the checkout's path has a space in it: $(CURDIR))
endif
# The files the port adds, at their kernel paths.
OVERLAY		:= Documentation LICENSES include lib rust samples tools/testing/selftests

# The toolchain of port/setup.sh, named explicitly: rustup's rustc on PATH
# has no rust-src and cannot build a kernel.
export PATH	:= /usr/lib/llvm-19/bin:$(PATH)
# Clippy runs in every build, so that the one build per flavour is also
# the lint.
KTOOLS		:= LLVM=1 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc \
		   RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt \
		   CLIPPY_DRIVER=/usr/bin/clippy-driver CLIPPY=1 \
		   BINDGEN=/usr/local/bin/bindgen \
		   RUST_LIB_SRC=/usr/src/rustc-$(RUST_VERSION)/library
KMAKE		:= $(MAKE) -C $(TREE) O=$(O) ARCH=$(ARCH) $(KTOOLS)
IMAGE_x86_64	:= arch/x86/boot/bzImage
IMAGE_arm64	:= arch/arm64/boot/Image.gz
KUNIT		:= $(TREE)/tools/testing/kunit/kunit.py
KUNIT_OPTS	:= --arch=$(ARCH) --build_dir=$(O) \
		   $(addprefix --kunitconfig=$(CURDIR)/,$(CONFIGS)) \
		   $(addprefix --make_options=,$(KTOOLS))

.PHONY: help setup rustavailable tree config kernel kunit progs test bench run shell rustfmtcheck clean \
	patches patches-check \
	$(addprefix stage-,$(TEST_STAGES) kunit-nosmp kunit-debug modules-debug guest-debug stress fuzz \
	  kunit-arm64 modules-arm64 guest-arm64)

help:
	@echo 'Targets:'
	@echo '  setup         install the toolchain (Debian packages, bindgen-cli)'
	@echo '  tree          materialise build/linux-$(KERNEL_VERSION) with the port applied'
	@echo '  config        write the .config of the $(ARCH)-$(FLAVOUR) test kernel (kunit.py config)'
	@echo '  kernel        configure and build the $(ARCH)-$(FLAVOUR) test kernel'
	@echo '  progs         build the guest programs (selftest, demo) against its headers'
	@echo '  kunit         run the KUnit suites with kunit.py under QEMU'
	@echo '  test          run every test stage ($(TEST_STAGES)) and total them'
	@echo '  stage-NAME    run one test stage'
	@echo '  bench         the Rust sample against its C twin, the IPC sample against a pipe (BENCHMARKS.md)'
	@echo '  run           the main job: boot the kernel and run the sample driver'"'"'s demo'
	@echo '  shell         boot the same kernel into an interactive shell'
	@echo '  patches       write the port as a git format-patch series in build/patches/'
	@echo '  patches-check build every commit of that series on its own (slow)'
	@echo '  rustfmtcheck  check the formatting of the Rust code'
	@echo '  clean         remove build/'
	@echo 'Variables:'
	@echo '  BASE=/path    use this 6.12.y tree instead of Debian'"'"'s linux-source-6.12'
	@echo '  ARCH=$(ARCH)  FLAVOUR=$(FLAVOUR)  JOBS=$(JOBS)  GUEST_TIMEOUT=$(GUEST_TIMEOUT)'
	@echo '  FUZZ_SEED=N   replay the fuzz stage'"'"'s run of that seed (FUZZ_OPS=$(FUZZ_OPS))'

setup:
	@port/setup.sh '$(KERNEL_DEB)' $(RUST_VERSION) $(BINDGEN_VERSION) '$(sort $(TEST_ARCHS) $(ARCH))'
	@test ! -d $(TREE) || $(MAKE) --no-print-directory rustavailable

tree:
	@port/setup.sh '$(KERNEL_DEB)' $(RUST_VERSION) $(BINDGEN_VERSION) '$(sort $(TEST_ARCHS) $(ARCH))'
	@port/tree.sh $(TREE) '$(BASE_SRC)' $(OVERLAY)
	@$(MAKE) --no-print-directory rustavailable

# The kernel's own check of the Rust toolchain.
rustavailable:
	@mkdir -p $(O)
	@$(KMAKE) -s rustavailable >$(O)/rustavailable.log 2>&1 || \
	 { cat $(O)/rustavailable.log; echo 'setup: the kernel'"'"'s rustavailable check rejects the Rust toolchain' >&2; exit 1; }

# kunit.py writes the .config from the fragments (and checks that every
# option took); the build runs here so that its progress is seen.
config: tree
	@$(KUNIT) config $(KUNIT_OPTS) >$(CURDIR)/build/kunit-config.log 2>&1 || \
	 { cat $(CURDIR)/build/kunit-config.log; echo 'config: kunit.py could not configure $(O)' >&2; exit 1; }

# A build that fails leaves no kernel behind for a later stage to test.
kernel: config
	@$(KMAKE) $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS)) all compile_commands.json 2>&1 | tee $(O)/build.log; \
	 test $${PIPESTATUS[0]} = 0 || { rm -f $(addprefix $(O)/,vmlinux Module.symvers $(IMAGE_$(ARCH))); \
	   echo 'kernel: the build of $(O) failed (log: $(O)/build.log)' >&2; exit 1; }
	@port/check-build-log.sh $(O)/build.log

kunit: stage-kunit

# Every stage runs even if an earlier one failed; a stage that exits non-zero
# with no failed case recorded counts as one failed case.  If the kernel does
# not build, no stage runs, and each counts as failed.  The kernel is built
# once, first: NODEPS=1 keeps the stages from going through it again.
KERNEL_DEP	:= $(if $(NODEPS),,kernel)

test:
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/* $(RESULTS)/.exit-*
	@if $(MAKE) --no-print-directory kernel; then \
	  for s in $(TEST_STAGES); do \
	    $(MAKE) --no-print-directory stage-$$s NODEPS=1 || echo $$? > $(RESULTS)/.exit-$$s; \
	  done; \
	else echo 'test: the kernel did not build, so no stage ran' >&2; fi
	@port/total.sh $(RESULTS) $(TEST_STAGES)

# The suffix of the names a flavour's stages are recorded under.
SUFFIX		?=

stage-kunit: $(KERNEL_DEP)
	@KUNIT_SUITES='$(KUNIT_SUITES)' KUNIT_CASES='$(KUNIT_CASES_$(FLAVOUR))' \
	  port/kunit.sh $(RESULTS) kunit$(SUFFIX) $(O) $(KUNIT) $(KUNIT_OPTS) \
	  --timeout=$(GUEST_TIMEOUT) '$(KUNIT_XFAIL)'

# The suite that fails on purpose, in a kunit.py run of its own.
stage-kunit-xfail: $(KERNEL_DEP)
	@port/kunit-xfail.sh $(RESULTS) $(O) $(KUNIT) $(KUNIT_OPTS) --timeout=$(GUEST_TIMEOUT)

# stage-STAGE-FLAVOUR: stage-STAGE on the FLAVOUR kernel (built first if it
# is not up to date), recorded with this flavour's stages.  In make test
# (NODEPS=1), the first stage of a kernel builds it and the others use it.
KERNEL_BUILDERS	:= stage-kunit-nosmp stage-kunit-debug stage-kunit-arm64
nodeps_of	= $(if $(filter $(1),$(KERNEL_BUILDERS)),,$(NODEPS))
flavour_of	= $(lastword $(subst -, ,$(1)))
stage-kunit-nosmp stage-kunit-debug stage-modules-debug stage-guest-debug:
	@$(MAKE) --no-print-directory FLAVOUR=$(call flavour_of,$@) SUFFIX=-$(call flavour_of,$@) \
	  NODEPS=$(call nodeps_of,$@) RESULTS=$(RESULTS) $(patsubst %-$(call flavour_of,$@),%,$@)

# stage-STAGE-arm64: stage-STAGE on the arm64 kernel of this flavour.
stage-kunit-arm64 stage-modules-arm64 stage-guest-arm64:
	@$(MAKE) --no-print-directory ARCH=arm64 SUFFIX=-arm64 NODEPS=$(call nodeps_of,$@) \
	  RESULTS=$(RESULTS) $(@:%-arm64=%)

# checkpatch on the patches and the port's files, rustfmt on its Rust, and
# vmlinux of a configuration with CONFIG_KUNIT=m (built in its own folder).
KUNIT_M		:= port/kunit-m.sh $(CURDIR)/build/$(ARCH)-kunit-m port/configs/kunit-m.config \
		   $(MAKE) -C $(TREE) ARCH=$(ARCH) $(KTOOLS)

stage-lint: $(if $(NODEPS),,config)
	@OVERLAY='$(OVERLAY)' KUNIT_M='$(KUNIT_M)' port/lint.sh $(TREE) $(RESULTS) $(KMAKE)

# Out-of-tree modules (M=) against the test kernel: the rules the types
# enforce must fail to build, and a client written against mainline's API
# must build.
EXTMOD		= port/extmod.sh $(1) $(RESULTS) $(2) $(O)/ext -- $(KMAKE) --

stage-compile-fail: $(KERNEL_DEP)
	@$(call EXTMOD,fail,compile-fail) tests/compile_fail/*.rs

# Loadable modules: the mainline-API client, a module with parameters, and
# the sample itself built as a module, which the guest loads on a boot
# where the built-in sample does not start.
GUEST_MODULES	:= tests/mm_client tests/param_module tests/sample_module
GUEST_KOS	:= $(O)/ext/mm_client/rust_mm_client.ko $(O)/ext/param_module/rust_param_test.ko \
		   $(O)/ext/sample_module/rust_misc_device.ko

stage-modules: $(KERNEL_DEP)
	@TREE=$(TREE) $(call EXTMOD,build,modules$(SUFFIX)) $(GUEST_MODULES)

# The userspace programs of the guest, static.
GUEST_CC_x86_64	:= gcc
GUEST_CC_arm64	:= aarch64-linux-gnu-gcc
SELFTESTS	:= $(TREE)/tools/testing/selftests
GUEST_PROGS	:= rust_misc_device_test rust_misc_device_unload rust_misc_device_demo \
		   rust_misc_device_stress rust_misc_device_fuzz rust_misc_device_bench \
		   rust_ipc_buffer_test rust_ipc_buffer_bench

# Built by the selftest's own Makefile (kselftest's lib.mk), against the
# test kernel's UAPI headers.
progs: $(KERNEL_DEP)
	@$(KMAKE) -s headers
	@mkdir -p $(O)/progs
	@$(MAKE) -s -C $(SELFTESTS)/rust_misc_device OUTPUT=$(O)/progs CC=$(GUEST_CC_$(ARCH)) \
	  KHDR_INCLUDES='-isystem $(O)/usr/include' USERCFLAGS=-Werror

stage-guest: progs $(if $(NODEPS),,stage-modules)
	@port/guest-test.sh $(ARCH) $(O) $(RESULTS) guest$(SUFFIX) $(GUEST_TIMEOUT) '$(GUEST_BOOTS)' \
	  $(addprefix $(O)/progs/,$(GUEST_PROGS)) $(GUEST_KOS)

# Concurrent stress and a seeded fuzzer, on the debug kernel, whose
# checkers turn a bug into a report; each boot ends with a kmemleak scan and
# a count of the free pages.
stage-stress stage-fuzz:
ifeq ($(FLAVOUR),debug)
	@$(MAKE) --no-print-directory progs
	@FUZZ_SEED=$(FUZZ_SEED) FUZZ_OPS=$(FUZZ_OPS) \
	  port/guest-test.sh $(ARCH) $(O) $(RESULTS) $(@:stage-%=%) $(GUEST_TIMEOUT) $(@:stage-%=%) \
	  $(addprefix $(O)/progs/,$(GUEST_PROGS))
else
	@$(MAKE) --no-print-directory FLAVOUR=debug RESULTS=$(RESULTS) $@
endif

# The benchmark, on the bench flavour (no debug option, no KUnit suite):
# BENCH_ROUNDS rounds of each size.  Not part of make test.
BENCH_ROUNDS	?= 15

bench:
ifeq ($(FLAVOUR),bench)
	@$(MAKE) --no-print-directory progs
	@port/bench.sh $(ARCH) $(O) $(GUEST_TIMEOUT) $(BENCH_ROUNDS) $(addprefix $(O)/progs/,$(GUEST_PROGS))
else
	@$(MAKE) --no-print-directory FLAVOUR=bench $@
endif

run: progs
	@port/guest.sh $(ARCH) $(O) run $(GUEST_TIMEOUT) quiet port/guest/run.job \
	  $(addprefix $(O)/progs/,$(GUEST_PROGS))

shell: progs stage-modules
	@port/guest.sh $(ARCH) $(O) shell interactive "" port/guest/shell.job \
	  $(addprefix $(O)/progs/,$(GUEST_PROGS)) $(GUEST_KOS)

# The port as a git format-patch series against the pristine base, in
# build/patches/, made in a git repository of the base in build/series/.
SERIES_GIT	:= $(CURDIR)/build/series
PATCHES_OUT	:= $(CURDIR)/build/patches
BASE_DESC	:= Linux $(KERNEL_VERSION)$(if $(BASE), ($(BASE_SRC)), (Debian linux-source-6.12 $(KERNEL_DEB)))

SERIES_ARGS	:= '$(BASE_SRC)' '$(BASE_DESC)' $(SERIES_GIT) $(PATCHES_OUT) $(OVERLAY)

patches:
	@$(if $(BASE),,port/setup.sh '$(KERNEL_DEB)' $(RUST_VERSION) $(BINDGEN_VERSION) '$(sort $(TEST_ARCHS) $(ARCH))')
	@port/series.sh $(SERIES_ARGS)

# Every commit of the series built on its own, with the test kernel's
# configuration, in build/$(ARCH)-bisect/.  Slow: not part of make test.
patches-check: patches config
	@port/patches-check.sh $(SERIES_GIT) $(O)/.config $(CURDIR)/build/$(ARCH)-bisect $(MAKE) ARCH=$(ARCH) $(KTOOLS)

# The series checked: checkpatch --strict on each patch, git am onto the
# base and the result compared with the tree.  Without a git identity (a
# fresh machine), the series is written under a stand-in one.
stage-series: $(if $(NODEPS),,tree)
	@git config user.email >/dev/null || export GIT_AUTHOR_NAME='make test' GIT_AUTHOR_EMAIL=make-test@localhost; \
	 port/series-check.sh $(SERIES_GIT) $(PATCHES_OUT) $(TREE) $(RESULTS) $(SERIES_ARGS)

rustfmtcheck: config
	@$(KMAKE) rustfmtcheck

clean:
	rm -rf build

