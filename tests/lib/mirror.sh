# tests/lib/mirror.sh: the Debian mirror this host's apt uses (deb822 or
# one-line sources), for the trees mmdebstrap makes (check-kernels,
# check-arm64).  Sourced; defines host_mirror.
host_mirror() {
	local m
	m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }' |
		grep -v security | head -1)
	[ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '$2 ~ /debian\/?$/ { print $2 }' | head -1)
	echo "${m:-http://deb.debian.org/debian}"
}
