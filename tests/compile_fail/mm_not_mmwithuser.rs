// SPDX-License-Identifier: GPL-2.0

//! An `Mm` (an `mmgrab` reference) is not an `MmWithUser`: its address space may be gone.
// expect: E0308
// expect-text: expected `&MmWithUser`, found `&Mm`

use kernel::prelude::*;

module! {
    type: Case,
    name: "mm_not_mmwithuser",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

use kernel::mm::{Mm, MmWithUser};

#[allow(dead_code)]
fn user(mm: &Mm) -> &MmWithUser {
    mm
}
