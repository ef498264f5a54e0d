// SPDX-License-Identifier: GPL-2.0

//! `VmaNew::update_flags` is private: drivers use the checked setters.
// expect: E0624
// expect-text: method `update_flags` is private

use kernel::prelude::*;

module! {
    type: Case,
    name: "update_flags_private",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

use kernel::mm::virt::{flags, VmaNew};

#[allow(dead_code)]
fn set(vma: &VmaNew) {
    // SAFETY: None: this must not build.
    unsafe { vma.update_flags(flags::PFNMAP, 0) };
}
