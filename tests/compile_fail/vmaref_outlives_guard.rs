// SPDX-License-Identifier: GPL-2.0

//! A `&VmaRef` cannot be kept past the mmap read lock that protects it.
// expect: E0597
// expect-text: `guard` does not live long enough

use kernel::prelude::*;

module! {
    type: Case,
    name: "vmaref_outlives_guard",
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
fn keep(mm: &MmWithUser) -> usize {
    let vma: &VmaRef;
    {
        let guard = mm.mmap_read_lock();
        vma = guard.vma_lookup(0x1000).unwrap();
    }
    vma.start()
}
