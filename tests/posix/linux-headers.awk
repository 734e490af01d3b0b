# linux-headers.awk: for make posix-check, print FILE:LINE:text for each
# Linux-only header a client source includes outside an "#ifdef
# __linux__" (or "#if defined(__linux__)") block. Inside one, a Linux
# interface is allowed where a portable path stands beside it, as the
# #else of exchange.c's IP_RECVERR and secure.c's PR_SET_DUMPABLE do.
FNR == 1 { depth = 0; linux = 0 }
/^[[:space:]]*#[[:space:]]*if/ {
	depth++
	is[depth] = ($0 ~ /__linux__/ && $0 !~ /!/)
	if (is[depth])
		linux++
	next
}
/^[[:space:]]*#[[:space:]]*el/ {
	# The other branch of a Linux test is the portable path.
	if (depth > 0 && is[depth]) {
		is[depth] = 0
		linux--
	}
	next
}
/^[[:space:]]*#[[:space:]]*endif/ {
	if (depth > 0) {
		if (is[depth])
			linux--
		depth--
	}
	next
}
/^[[:space:]]*#[[:space:]]*include[[:space:]]*<(linux\/|sys\/(epoll|signalfd|eventfd|timerfd|inotify|sendfile|prctl)\.h)/ {
	if (linux == 0)
		print FILENAME ":" FNR ":" $0
}
