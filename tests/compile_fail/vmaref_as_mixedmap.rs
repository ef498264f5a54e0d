// SPDX-License-Identifier: GPL-2.0

//! A `VmaRef` is not a `VmaMixedMap` without the `VM_MIXEDMAP` check.
// expect: E0308
// expect-text: expected `&VmaMixedMap`, found `&VmaRef`

use kernel::prelude::*;

module! {
    type: Case,
    name: "vmaref_as_mixedmap",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

use kernel::mm::virt::{VmaMixedMap, VmaRef};

#[allow(dead_code)]
fn cast(vma: &VmaRef) -> &VmaMixedMap {
    vma
}
