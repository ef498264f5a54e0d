// SPDX-License-Identifier: GPL-2.0

//! A `VmaNew` cannot be sent to another thread either.
// expect: E0277
// expect-text: within `kernel::mm::virt::VmaNew`, the trait `core::marker::Send` is not implemented

#[allow(dead_code)]
fn send() {
    fn assert_send<T: Send>() {}
    assert_send::<kernel::mm::virt::VmaNew>();
}
