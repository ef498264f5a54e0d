// SPDX-License-Identifier: GPL-2.0

//! The per-VMA read lock must be released on the thread that took it.
// expect: E0277
// expect-text: within `kernel::mm::VmaReadGuard<'_>`, the trait `core::marker::Send` is not implemented

#[allow(dead_code)]
fn send(guard: kernel::mm::VmaReadGuard<'_>) {
    fn assert_send<T: Send>(_: T) {}
    assert_send(guard);
}
