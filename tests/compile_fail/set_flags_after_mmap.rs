// SPDX-License-Identifier: GPL-2.0

//! Flags can only be changed on a `VmaNew`, in the mmap hook, not on a looked-up `VmaRef`.
// expect: E0599
// expect-text: no method named `set_dontcopy` found for reference `&kernel::mm::virt::VmaRef`

use kernel::mm::virt::VmaRef;

#[allow(dead_code)]
fn set(vma: &VmaRef) {
    vma.set_dontcopy();
}
