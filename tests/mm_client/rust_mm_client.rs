// SPDX-License-Identifier: GPL-2.0

//! A client of `kernel::mm` written against mainline's API.
//!
//! This out-of-tree module uses every public item of `kernel::mm` and `kernel::mm::virt` with the
//! signatures mainline gives them, spelled out as typed function pointers, so that it fails to
//! build if the port's API drifts from mainline's: mainline 7.1's names (`zap_vma_range`) and
//! those of 6.16 to 7.0 (`zap_page_range_single`). When loaded, it also walks the address space of
//! the process that loads it, under the mmap read lock and under the per-VMA lock.

use core::ptr::NonNull;
use kernel::{
    bindings,
    mm::{
        virt::{flags, vm_flags_t, VmaMixedMap, VmaNew, VmaRef},
        Mm, MmWithUser, MmWithUserAsync, MmapReadGuard, VmaReadGuard,
    },
    page::Page,
    prelude::*,
    task::CurrentTask,
    types::{ARef, AlwaysRefCounted},
};

module! {
    type: RustMmClient,
    name: "rust_mm_client",
    author: "Rust for Linux Contributors",
    description: "Uses every item of kernel::mm with mainline's signatures",
    license: "GPL",
}

/// Mainline's signatures, checked by coercion to function pointer types.
#[allow(clippy::type_complexity)]
const fn signatures() {
    let _: fn(&Mm) -> *mut bindings::mm_struct = Mm::as_raw;
    let _: unsafe fn(*const bindings::mm_struct) -> &'static Mm = Mm::from_raw;
    let _: fn(&Mm) -> Option<ARef<MmWithUser>> = Mm::mmget_not_zero;
    let _: unsafe fn(*const bindings::mm_struct) -> &'static MmWithUser = MmWithUser::from_raw;
    let _: for<'a> fn(&'a MmWithUser) -> MmapReadGuard<'a> = MmWithUser::mmap_read_lock;
    let _: for<'a> fn(&'a MmWithUser) -> Option<MmapReadGuard<'a>> = MmWithUser::mmap_read_trylock;
    let _: for<'a> fn(&'a MmWithUser, usize) -> Option<VmaReadGuard<'a>> =
        MmWithUser::lock_vma_under_rcu;
    let _: fn(ARef<MmWithUser>) -> ARef<MmWithUserAsync> = MmWithUser::into_mmput_async;
    vma_lookup_signature();
    let _: for<'a> fn(&'a CurrentTask) -> Option<&'a MmWithUser> = CurrentTask::mm;

    let _: unsafe fn(*const bindings::vm_area_struct) -> &'static VmaRef = VmaRef::from_raw;
    let _: fn(&VmaRef) -> *mut bindings::vm_area_struct = VmaRef::as_ptr;
    let _: fn(&VmaRef) -> &MmWithUser = VmaRef::mm;
    let _: fn(&VmaRef) -> vm_flags_t = VmaRef::flags;
    let _: fn(&VmaRef) -> usize = VmaRef::start;
    let _: fn(&VmaRef) -> usize = VmaRef::end;
    let _: fn(&VmaRef, usize, usize) = VmaRef::zap_vma_range;
    let _: fn(&VmaRef, usize, usize) = VmaRef::zap_page_range_single;
    let _: fn(&VmaRef) -> Option<&VmaMixedMap> = VmaRef::as_mixedmap_vma;
    let _: unsafe fn(*const bindings::vm_area_struct) -> &'static VmaMixedMap =
        VmaMixedMap::from_raw;
    let _: fn(&VmaMixedMap, usize, &Page) -> Result = VmaMixedMap::vm_insert_page;
    let _: unsafe fn(*mut bindings::vm_area_struct) -> &'static VmaNew = VmaNew::from_raw;
    let _: fn(&VmaNew) -> &VmaMixedMap = VmaNew::set_mixedmap;
    let _: fn(&VmaNew) = VmaNew::set_io;
    let _: fn(&VmaNew) = VmaNew::set_dontexpand;
    let _: fn(&VmaNew) = VmaNew::set_dontcopy;
    let _: fn(&VmaNew) = VmaNew::set_dontdump;
    let _: fn(&VmaNew) -> bool = VmaNew::readable;
    let _: fn(&VmaNew) -> Result = VmaNew::try_clear_mayread;
    let _: fn(&VmaNew) -> bool = VmaNew::writable;
    let _: fn(&VmaNew) -> Result = VmaNew::try_clear_maywrite;
    let _: fn(&VmaNew) -> bool = VmaNew::executable;
    let _: fn(&VmaNew) -> Result = VmaNew::try_clear_mayexec;

    let _: fn(&Mm) = <Mm as AlwaysRefCounted>::inc_ref;
    let _: unsafe fn(NonNull<MmWithUserAsync>) = <MmWithUserAsync as AlwaysRefCounted>::dec_ref;
}

const fn vma_lookup_signature() {
    let _: for<'a> fn(&'a MmapReadGuard<'static>, usize) -> Option<&'a VmaRef> =
        MmapReadGuard::<'static>::vma_lookup;
}

/// Every constant of `virt::flags`, with its type.
const FLAGS: [vm_flags_t; 26] = [
    flags::NONE,
    flags::READ,
    flags::WRITE,
    flags::EXEC,
    flags::SHARED,
    flags::MAYREAD,
    flags::MAYWRITE,
    flags::MAYEXEC,
    flags::MAYSHARE,
    flags::PFNMAP,
    flags::IO,
    flags::DONTCOPY,
    flags::DONTEXPAND,
    flags::LOCKONFAULT,
    flags::ACCOUNT,
    flags::NORESERVE,
    flags::HUGETLB,
    flags::SYNC,
    flags::ARCH_1,
    flags::WIPEONFORK,
    flags::DONTDUMP,
    flags::SOFTDIRTY,
    flags::MIXEDMAP,
    flags::HUGEPAGE,
    flags::NOHUGEPAGE,
    flags::MERGEABLE,
];

/// An mmap hook as a mainline driver writes it.
#[allow(dead_code)]
fn mmap(pages: &[Page], vma: &VmaNew) -> Result {
    if vma.flags() & flags::SHARED == 0 {
        return Err(EINVAL);
    }
    if vma.readable() && !vma.writable() {
        vma.try_clear_maywrite()?;
    }
    if !vma.executable() {
        vma.try_clear_mayexec()?;
    }
    vma.set_dontcopy();
    vma.set_dontexpand();
    vma.set_dontdump();
    vma.set_io();
    let mixed: &VmaMixedMap = vma.set_mixedmap();
    for (i, page) in pages.iter().enumerate() {
        mixed.vm_insert_page(mixed.start() + i * kernel::page::PAGE_SIZE, page)?;
    }
    Ok(())
}

/// The start of the vma at `addr`, found under the per-VMA lock.
///
/// The module really calls `lock_vma_under_rcu` (through a pointer that `black_box` hides from the
/// optimiser, so the call is emitted), which links only if the kernel exports it.
fn vma_start_under_rcu(mm: &MmWithUser, addr: usize) -> Option<usize> {
    let vma: VmaReadGuard<'_> = mm.lock_vma_under_rcu(addr)?;
    let vma: &VmaRef = &vma;
    // Outside the vma: ignored, as under the mmap lock.
    vma.zap_vma_range(vma.end(), kernel::page::PAGE_SIZE);
    Some(vma.start())
}

/// Walks the loading process's address space under the mmap read lock.
fn walk(mm: &MmWithUser) -> Result<usize> {
    let guard: MmapReadGuard<'_> = mm.mmap_read_lock();
    // Address 0 is never mapped.
    if guard.vma_lookup(0).is_some() {
        return Err(EINVAL);
    }
    drop(guard);

    let guard = mm.mmap_read_trylock().ok_or(EBUSY)?;
    let mut found = 0;
    // The vma around the start of the stack exists in every process.
    // SAFETY: `mm` has a non-zero `mm_users`, and `start_stack` is only written at exec time.
    let stack = unsafe { (*mm.as_raw()).__bindgen_anon_1.start_stack };
    let mut start = None;
    if let Some(vma) = guard.vma_lookup(stack) {
        let same_mm: &MmWithUser = vma.mm();
        if core::ptr::eq(same_mm.as_raw(), mm.as_raw()) && vma.start() <= stack && stack < vma.end()
        {
            found += 1;
        }
        if vma.as_mixedmap_vma().is_none() {
            found += 1;
        }
        // A range outside the vma is ignored.
        vma.zap_page_range_single(vma.end(), kernel::page::PAGE_SIZE);
        vma.zap_vma_range(vma.end(), kernel::page::PAGE_SIZE);
        start = Some(vma.start());
    }
    drop(guard);

    let under_rcu: fn(&MmWithUser, usize) -> Option<usize> =
        core::hint::black_box(vma_start_under_rcu);
    // Without per-VMA locks the C function always fails; with them it may fail under contention,
    // but nothing else uses this address space while `insmod` waits for the module's init.
    let rcu = under_rcu(mm, stack);
    if cfg!(CONFIG_PER_VMA_LOCK) {
        if rcu != start {
            return Err(EINVAL);
        }
        found += 1;
    } else if rcu.is_some() {
        return Err(EINVAL);
    }
    Ok(found)
}

struct RustMmClient;

impl kernel::Module for RustMmClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        signatures();
        let task = current!();
        let mm = task.mm().ok_or(EINVAL)?;
        let found = walk(mm)?;
        let user: ARef<MmWithUser> = mm.mmget_not_zero().ok_or(EINVAL)?;
        let user: ARef<MmWithUserAsync> = MmWithUser::into_mmput_async(user);
        let grab: ARef<Mm> = ARef::from(&**user as &Mm);
        drop(user);
        drop(grab);
        pr_info!("mm client: {} checks, {} flags\n", found, FLAGS.len());
        Ok(RustMmClient)
    }
}
