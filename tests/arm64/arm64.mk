# tests/arm64: pkid and pkiks.ko on arm64 (tests/arm64/check-arm64.sh).
#   check-arm64   cross-builds pkid, pkictl, pkiksd, the provider and the
#                 module for arm64 against a Debian 12 arm64 tree (mmdebstrap
#                 --arch=arm64, cached in build/arm64/root), boots Debian 12's
#                 arm64 kernel in qemu-system-aarch64 -accel tcg -M virt -cpu
#                 max with the module: functional checks, the shared CUnit
#                 keystore suite, the signing bench, then a CA and a client
#                 enrollment on loopback; builds the arm64 .debs (make deb
#                 ARCH=arm64) and installs them in the tree.  Prints a table.
#                 Not part of `make check`: it downloads a tree (~1 GB) and
#                 installs its own packages (packaging/deps-arm64.txt).
# The host's own programs it needs: pkiks-vmtest and pkiksd make the test
# blobs, openssl the test keys (the same as check-vm).
.PHONY: check-arm64
check-arm64: $(BIN)/pkiks-vmtest $(BIN)/pkiksd $(KS_KEY_FILES)
	tests/arm64/check-arm64.sh
