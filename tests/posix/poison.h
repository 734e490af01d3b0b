/*
 * poison.h: forced first into every client source by make posix-check
 * (-include), beside -D_POSIX_C_SOURCE=200809L and no _GNU_SOURCE.
 *
 * The feature macro hides from the declarations what POSIX 2008 does not
 * have, so a call to it is an implicit declaration, an error. But glibc
 * declares some Linux interfaces whatever the feature macros say (its
 * sys/epoll.h, sys/signalfd.h and sys/random.h have no such guard, and
 * SOCK_NONBLOCK comes with every sys/socket.h): those are poisoned here,
 * so that any use is an error, and so is including the header that
 * declares them. A Linux interface used behind #ifdef __linux__, with a
 * portable path beside it (secure.c's PR_SET_DUMPABLE), is not listed.
 */
#ifndef KNOCK_POSIX_POISON_H
#define KNOCK_POSIX_POISON_H

/*
 * The headers that define the socket-flag names, first: their own
 * definitions would trip the poison. Their POSIX names stay usable.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <fcntl.h>

/* Macros naming enum constants: poison the names, macro and all. */
#undef SOCK_NONBLOCK
#undef SOCK_CLOEXEC
#pragma GCC poison SOCK_NONBLOCK SOCK_CLOEXEC

/* Poisoned before their headers: including one is an error too. */
#pragma GCC poison epoll_create epoll_create1 epoll_ctl epoll_wait
#pragma GCC poison epoll_pwait signalfd eventfd timerfd_create
#pragma GCC poison timerfd_settime inotify_init inotify_init1
#pragma GCC poison accept4 pipe2 dup3 getrandom splice vmsplice
#pragma GCC poison sendfile memfd_create

#endif
