// SPDX-License-Identifier: GPL-2.0

//! A `&VmaRef` cannot be kept past the mmap read lock that protects it.
// expect: E0597
// expect-text: `guard` does not live long enough

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
