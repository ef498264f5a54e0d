// SPDX-License-Identifier: GPL-2.0

//! A `&VmaRef` cannot be returned out of the scope of its lock guard.
// expect: E0515
// expect-text: cannot return value referencing local variable `guard`

use kernel::prelude::*;

module! {
    type: Case,
    name: "vmaref_returned_past_guard",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

use kernel::mm::{virt::VmaRef, MmWithUser};

#[allow(dead_code)]
fn lookup(mm: &MmWithUser, addr: usize) -> Option<&VmaRef> {
    let guard = mm.mmap_read_lock();
    guard.vma_lookup(addr)
}
