// SPDX-License-Identifier: GPL-2.0

//! A `&VmaRef` cannot be kept past the per-VMA read lock that protects it.
// expect: E0597
// expect-text: `guard` does not live long enough

use kernel::mm::{virt::VmaRef, MmWithUser};

#[allow(dead_code)]
fn keep(mm: &MmWithUser) -> usize {
    let vma: &VmaRef;
    {
        let guard = mm.lock_vma_under_rcu(0x1000).unwrap();
        vma = &guard;
    }
    vma.start()
}
