// SPDX-License-Identifier: GPL-2.0

//! A `VmaRef` is not a `VmaMixedMap` without the `VM_MIXEDMAP` check.
// expect: E0308
// expect-text: expected `&VmaMixedMap`, found `&VmaRef`

use kernel::mm::virt::{VmaMixedMap, VmaRef};

#[allow(dead_code)]
fn cast(vma: &VmaRef) -> &VmaMixedMap {
    vma
}
