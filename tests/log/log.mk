# tests/log: daemon/LOGGING.md lists exactly the IOS-like tags pkid emits,
# and the daemon logs only through pkid_log() (tests/log/tags.py).  Reads
# the source; starts nothing, so it needs no test lock.
.PHONY: check-log-tags
check-log-tags:
	python3 tests/log/tags.py .

CHECKS += check-log-tags
