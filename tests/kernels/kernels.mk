# tests/kernels: pkiks.ko across Debian kernels (tests/kernels/check-kernels.sh).
#   check-kernels  for Debian 12's 6.1, Debian 13's 6.12 and the newest
#                  kernel of trixie-backports: the DKMS source tree built
#                  with W=1 (no warning) in a Debian tree made with
#                  mmdebstrap (cached in build/kernels), then that kernel
#                  booted in qemu TCG with the check-vm harness (functional
#                  tests, CUnit keystore suite, RSA signing bench); prints
#                  a table.  Not part of `make check`: it downloads kernels
#                  (about 2.5 GB of trees) and boots three VMs.
#                  `make check-kernels KERNELS=deb13-6.12` runs one.
KERNELS ?=

.PHONY: check-kernels
check-kernels: $(filter-out $(KMOD_KO),$(VM_DEPS))
	tests/kernels/check-kernels.sh $(KERNELS)
