/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctls of /dev/rust-ipc-buffer, the Rust Binder-style IPC sample
 * (samples/rust/rust_ipc_buffer.rs).
 *
 * Each open file of the device is a channel. Its receiver maps a read-only
 * buffer of the file (once, at offset 0); a sender, any open file of the
 * device in any process, sends bytes to the channel's id, and the driver
 * copies them once, into pages it inserts into the receiver's mapping. The
 * receiver takes the next message (blocking, or EAGAIN with O_NONBLOCK; poll
 * reports POLLIN), reads it in its mapping and frees it, which unmaps its
 * pages.
 */

#ifndef _UAPI_LINUX_RUST_IPC_BUFFER_H
#define _UAPI_LINUX_RUST_IPC_BUFFER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct rust_ipc_send - a message to send
 * @id:   the channel to send to (RUST_IPC_BUFFER_GET_ID of its file)
 * @len:  its length in bytes, at least 1 and at most the size of the
 *        receiver's mapping
 * @data: the sender's address of the bytes
 */
struct rust_ipc_send {
	__u32 id;
	__u32 len;
	__u64 data;
};

/**
 * struct rust_ipc_msg - a received message
 * @offset: where it starts in the receiver's mapping, page-aligned
 * @len:    its length in bytes
 */
struct rust_ipc_msg {
	__u64 offset;
	__u64 len;
};

#define RUST_IPC_BUFFER_IOC_MAGIC	'|'

#define RUST_IPC_BUFFER_GET_ID	_IOR(RUST_IPC_BUFFER_IOC_MAGIC, 0x90, __u32)
#define RUST_IPC_BUFFER_SEND	_IOW(RUST_IPC_BUFFER_IOC_MAGIC, 0x91, struct rust_ipc_send)
#define RUST_IPC_BUFFER_RECV	_IOR(RUST_IPC_BUFFER_IOC_MAGIC, 0x92, struct rust_ipc_msg)
/* Frees the received message that starts at this offset of the mapping. */
#define RUST_IPC_BUFFER_FREE	_IOW(RUST_IPC_BUFFER_IOC_MAGIC, 0x93, __u64)

#endif /* _UAPI_LINUX_RUST_IPC_BUFFER_H */
