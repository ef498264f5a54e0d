// SPDX-License-Identifier: GPL-2.0

//! The current task's `mm()` cannot outlive the `current!()` handle it came from.
// expect: E0716
// expect-text: temporary value dropped while borrowed

use kernel::prelude::*;

#[allow(dead_code)]
fn start() -> Option<usize> {
    let mm = current!().mm()?;
    let guard = mm.mmap_read_lock();
    let start = guard.vma_lookup(0).map_or(0, |vma| vma.start());
    Some(start)
}
