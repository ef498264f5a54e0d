// SPDX-License-Identifier: GPL-2.0

//! `VmaNew::update_flags` is private: drivers use the checked setters.
// expect: E0624
// expect-text: method `update_flags` is private

use kernel::mm::virt::{flags, VmaNew};

#[allow(dead_code)]
fn set(vma: &VmaNew) {
    // SAFETY: None: this must not build.
    unsafe { vma.update_flags(flags::PFNMAP, 0) };
}
