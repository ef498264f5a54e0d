// SPDX-License-Identifier: GPL-2.0

//! A `VmaRef` is not a driver's typed view without the check of its operations.
// expect: E0308
// expect-text: expected `&VmaWithOps<MyVmOps>`, found `&VmaRef`

use kernel::{
    mm::virt::{
        ops::{VmOperations, VmOperationsTable, VmaWithOps},
        VmaRef,
    },
    prelude::*,
};

struct MyVmOps;
static MY_VM_OPS: VmOperationsTable<MyVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for MyVmOps {
    type Data = u64;
    const TABLE: &'static VmOperationsTable<Self> = &MY_VM_OPS;
}

#[allow(dead_code)]
fn assume(vma: &VmaRef) -> &VmaWithOps<MyVmOps> {
    vma
}
