// SPDX-License-Identifier: GPL-2.0

//! A `&VmaRef` cannot be returned out of the scope of its lock guard.
// expect: E0515
// expect-text: cannot return value referencing local variable `guard`

use kernel::mm::{virt::VmaRef, MmWithUser};

#[allow(dead_code)]
fn lookup(mm: &MmWithUser, addr: usize) -> Option<&VmaRef> {
    let guard = mm.mmap_read_lock();
    guard.vma_lookup(addr)
}
