// SPDX-License-Identifier: GPL-2.0

//! The view of a VMA checked against one driver's operations is not another's.
// expect: E0308
// expect-text: expected `Option<&VmaWithOps<TheirVmOps>>`, found `Option<&VmaWithOps<MyVmOps>>`

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

struct TheirVmOps;
static THEIR_VM_OPS: VmOperationsTable<TheirVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for TheirVmOps {
    type Data = u64;
    const TABLE: &'static VmOperationsTable<Self> = &THEIR_VM_OPS;
}

#[allow(dead_code)]
fn theirs(vma: &VmaRef) -> Option<&VmaWithOps<TheirVmOps>> {
    vma.with_ops::<MyVmOps>()
}
