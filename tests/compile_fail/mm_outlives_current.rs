// SPDX-License-Identifier: GPL-2.0

//! The current task's `mm()` cannot outlive the `current!()` handle it came from.
// expect: E0716
// expect-text: temporary value dropped while borrowed

use kernel::prelude::*;

module! {
    type: Case,
    name: "mm_outlives_current",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

#[allow(dead_code)]
fn start() -> Option<usize> {
    let mm = current!().mm()?;
    let guard = mm.mmap_read_lock();
    let start = guard.vma_lookup(0).map_or(0, |vma| vma.start());
    Some(start)
}
