// SPDX-License-Identifier: GPL-2.0

//! Making a `VmaNew` from a pointer is unsafe: only an mmap hook may.
// expect: E0133
// expect-text: call to unsafe function `kernel::mm::virt::VmaNew::from_raw` is unsafe

use kernel::{bindings, mm::virt::VmaNew};

#[allow(dead_code)]
fn make<'a>(vma: *mut bindings::vm_area_struct) -> &'a VmaNew {
    VmaNew::from_raw(vma)
}
