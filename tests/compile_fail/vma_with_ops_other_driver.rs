// SPDX-License-Identifier: GPL-2.0

//! A driver cannot name another driver's operations, so it cannot get its typed view of a VMA.
// expect: E0603
// expect-text: struct `OtherVmOps` is private

use kernel::{
    mm::virt::{
        ops::{VmOperations, VmOperationsTable, VmaWithOps},
        VmaRef,
    },
    prelude::*,
};

mod other {
    use kernel::{
        mm::virt::ops::{VmOperations, VmOperationsTable},
        prelude::*,
    };

    struct OtherVmOps;
    static OTHER_VM_OPS: VmOperationsTable<OtherVmOps> = VmOperationsTable::new();

    #[vtable]
    impl VmOperations for OtherVmOps {
        type Data = u64;
        const TABLE: &'static VmOperationsTable<Self> = &OTHER_VM_OPS;
    }
}

#[allow(dead_code)]
fn peek(vma: &VmaRef) -> Option<&VmaWithOps<other::OtherVmOps>> {
    vma.with_ops::<other::OtherVmOps>()
}

#[allow(dead_code)]
struct MyVmOps;
#[allow(dead_code)]
static MY_VM_OPS: VmOperationsTable<MyVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for MyVmOps {
    type Data = u64;
    const TABLE: &'static VmOperationsTable<Self> = &MY_VM_OPS;
}
