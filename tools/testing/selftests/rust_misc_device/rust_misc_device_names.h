/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of errnos and signals for the diagnostics of the rust_misc_device
 * test programs.  The buffer for an unknown one is per thread, as the
 * stress test reports from several.  Also the kernel's pseudo-keyword for
 * a case of a switch that goes on into the next one.
 */
#ifndef RUST_MISC_DEVICE_NAMES_H
#define RUST_MISC_DEVICE_NAMES_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

static inline const char *errname(int err)
{
	static __thread char buf[32];

	switch (err) {
	case 0:		return "success";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case ESRCH:	return "ESRCH";
	case EINTR:	return "EINTR";
	case EIO:	return "EIO";
	case ENXIO:	return "ENXIO";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case ENOSPC:	return "ENOSPC";
	case ERANGE:	return "ERANGE";
	case EOVERFLOW:	return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static inline const char *signame(int sig)
{
	static __thread char buf[32];

	switch (sig) {
	case 0:		return "no signal";
	case SIGSEGV:	return "SIGSEGV";
	case SIGBUS:	return "SIGBUS";
	case SIGALRM:	return "SIGALRM (timeout)";
	case SIGKILL:	return "SIGKILL";
	case SIGABRT:	return "SIGABRT";
	case SIGILL:	return "SIGILL";
	case SIGFPE:	return "SIGFPE";
	case SIGTRAP:	return "SIGTRAP";
	}
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

#endif /* RUST_MISC_DEVICE_NAMES_H */
