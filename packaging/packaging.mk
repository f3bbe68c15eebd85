# packaging: Debian packages, systemd units, man pages, bash completion.
#   make deb            build/deb/pkid_*.deb and pkiks-dkms_*.deb (not in ALL)
#   make deb ARCH=arm64 the same for arm64 in build/deb-arm64, cross-built
#                       against the arm64 tree of check-arm64 (tests/arm64)
#   check-man           the man pages render without warnings
#   check-completion    the bash completion completes pkictl's commands
#   check-pkiks-kek     the KEK provisioning tool against a private pkiksd
#   check-units         the units' sandboxes (systemd-analyze security)
#   check-packaging     (root) apt install of the .debs, DKMS build, the
#                       installed pkiksd and pkid run, purge leaves nothing
.PHONY: deb check-man check-completion check-pkiks-kek check-units \
	check-packaging

deb:
	packaging/deb/build.sh $(B)/deb$(if $(ARCH),-$(ARCH)) $(ARCH)

check-man: $(BIN)/pkictl
	tests/packaging/man.sh $(BIN)/pkictl

check-completion: $(BIN)/pkictl
	tests/packaging/completion.sh $(BIN)/pkictl

check-pkiks-kek: $(BIN)/pkiks-kek $(BIN)/pkiksd
	tests/packaging/kek.sh

check-units:
	tests/packaging/units.sh

check-packaging:
	tests/packaging/install.sh

CHECKS += check-man check-completion check-pkiks-kek check-units \
	check-packaging
