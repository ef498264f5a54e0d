// SPDX-License-Identifier: GPL-2.0

//! The operations table must be a `static`: a constant could share its address with another.
// expect: E0492
// expect-text: interior mutable shared borrows of temporaries

use kernel::{
    mm::virt::ops::{VmOperations, VmOperationsTable},
    prelude::*,
};

struct MyVmOps;

#[vtable]
impl VmOperations for MyVmOps {
    type Data = u64;
    const TABLE: &'static VmOperationsTable<Self> = &VmOperationsTable::new();
}
