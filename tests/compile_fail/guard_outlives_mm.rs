// SPDX-License-Identifier: GPL-2.0

//! The mmap read guard cannot outlive the `mmget` reference it locks.
// expect: E0597
// expect-text: `user` does not live long enough

use kernel::mm::{Mm, MmapReadGuard};

#[allow(dead_code)]
fn lock(mm: &Mm) -> Option<usize> {
    let guard: MmapReadGuard<'_>;
    {
        let user = mm.mmget_not_zero()?;
        guard = user.mmap_read_lock();
    }
    let start = guard.vma_lookup(0).map(|vma| vma.start());
    start
}
