// SPDX-License-Identifier: GPL-2.0

//! A `VmaNew` cannot be shared with another thread: `update_flags` relies on it.
// expect: E0277
// expect-text: within `kernel::mm::virt::VmaNew`, the trait `core::marker::Sync` is not implemented

#[allow(dead_code)]
fn share(vma: &kernel::mm::virt::VmaNew) {
    fn assert_sync<T: Sync>(_: &T) {}
    assert_sync(vma);
}
