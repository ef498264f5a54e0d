// SPDX-License-Identifier: GPL-2.0

//! `vm_insert_page` needs a `VmaMixedMap`: a `VmaRef` must be checked with `as_mixedmap_vma` first.
// expect: E0599
// expect-text: no method named `vm_insert_page` found for reference `&kernel::mm::virt::VmaRef`

use kernel::prelude::*;

use kernel::{mm::virt::VmaRef, page::Page};

#[allow(dead_code)]
fn insert(vma: &VmaRef, page: &Page) -> Result {
    vma.vm_insert_page(vma.start(), page)
}
