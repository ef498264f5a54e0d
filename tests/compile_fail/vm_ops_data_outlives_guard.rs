// SPDX-License-Identifier: GPL-2.0

//! The data borrowed from a VMA cannot be kept past the lock that keeps the VMA alive.
// expect: E0597
// expect-text: `guard` does not live long enough

use kernel::{
    mm::{
        virt::ops::{VmOperations, VmOperationsTable},
        MmWithUser,
    },
    prelude::*,
    sync::ArcBorrow,
};

struct MyVmOps;
static MY_VM_OPS: VmOperationsTable<MyVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for MyVmOps {
    type Data = u64;
    const TABLE: &'static VmOperationsTable<Self> = &MY_VM_OPS;
}

#[allow(dead_code)]
fn keep(mm: &MmWithUser) -> u64 {
    let data: ArcBorrow<'_, u64>;
    {
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(0x1000).unwrap();
        data = vma.with_ops::<MyVmOps>().unwrap().data();
    }
    *data
}
