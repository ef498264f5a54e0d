// SPDX-License-Identifier: GPL-2.0

//! The data of a VMA is shared by the VMAs of every process that maps it: it must be `Sync`.
// expect: E0277
// expect-text: `core::cell::Cell<u64>` cannot be shared between threads safely

use core::cell::Cell;
use kernel::{
    mm::virt::ops::{VmOperations, VmOperationsTable},
    prelude::*,
};

struct MyVmOps;
static MY_VM_OPS: VmOperationsTable<MyVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for MyVmOps {
    type Data = Cell<u64>;
    const TABLE: &'static VmOperationsTable<Self> = &MY_VM_OPS;
}
