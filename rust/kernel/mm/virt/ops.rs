// SPDX-License-Identifier: GPL-2.0

//! The operations of the VMAs a driver sets up, and a checked view of a VMA found by address.
//!
//! A driver that looks a VMA up by address ([`MmapReadGuard::vma_lookup`]) finds whatever is
//! mapped there: after `munmap()`, a new mapping at the same address may be anonymous memory,
//! another file, or another open file of the same device. A driver that zaps or inserts pages
//! into a VMA it found that way must first know that the VMA is its own. Binder had this bug and
//! fixed it by marking its VMAs at `mmap` time and checking the mark before every insert or zap.
//!
//! This module makes that check part of the types. A driver describes the VMAs it creates with a
//! [`VmOperations`] implementation, whose operations table ([`VmOperationsTable`]) is a `static`
//! of the driver's; [`VmaNew::set_vm_ops`] installs it on a new VMA together with a reference to
//! the driver's data, which the VMA then owns (`vm_private_data`). The table's address is the
//! mark: [`VmaRef::with_ops`] returns the driver's typed view of a VMA, [`VmaWithOps`], only if
//! the VMA has this very table, and so this driver's data. The mm core's `open` and `close`
//! callbacks keep the references right when a VMA is split, moved by `mremap()`, copied by
//! `fork()` and unmapped, and tell the driver about it.
//!
//! This is beyond mainline, which has neither `vm_operations_struct` nor such a check.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)
//!
//! [`MmapReadGuard::vma_lookup`]: crate::mm::MmapReadGuard::vma_lookup

use super::{VmaNew, VmaRef};
use crate::{
    bindings,
    error::{code::EBUSY, Result, VTABLE_DEFAULT_ERROR},
    ffi::c_int,
    prelude::*,
    sync::{Arc, ArcBorrow},
    types::{ForeignOwnable, Opaque},
};
use core::{marker::PhantomData, mem::MaybeUninit, ops::Deref};

/// The operations of the VMAs a driver sets up (`struct vm_operations_struct`).
///
/// Every VMA that [`VmaNew::set_vm_ops`] gives these operations owns a reference to an
/// `Arc<Self::Data>`, and so does every VMA the mm core makes from one: the two halves of a split,
/// the VMA `mremap()` moves it to, the child's copy of `fork()` (unless the VMA has
/// `VM_DONTCOPY`). The reference is dropped when the VMA goes away. `set_vm_ops` sets
/// `VM_DONTEXPAND`, so such a VMA is never merged with another (a merge would free one without
/// `close`) and `mremap()` cannot grow it.
///
/// `open` and `close` tell the driver about each VMA that comes and goes, with the mmap lock of
/// its address space held. They are given the bounds of the VMA as plain values ([`VmaSpan`]),
/// not a view of it: at that point the VMA may be half made (its page tables not copied yet), or
/// on its way out with its page tables gone or its address space dead, and nothing may be
/// inserted into it or looked up through it.
///
/// `Data` is dropped on whichever thread drops the last reference, possibly under the mmap lock
/// of an address space that maps it (so its destructor must not take that lock), and possibly
/// in another process than the one that mapped it. An `ARef<MmWithUser>` of an address space kept
/// in the data of its own VMAs is a cycle, which keeps it alive for ever. The implementation
/// must be in the module that provides the file operations of the mapped file: a VMA holds a
/// reference to its file, which pins that module, and so the table and callbacks.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use kernel::{
///     mm::virt::{
///         ops::{VmOperations, VmOperationsTable, VmaSpan},
///         VmaNew, VmaRef,
///     },
///     prelude::*,
///     sync::{Arc, ArcBorrow},
/// };
///
/// /// What the VMAs of a buffer share: the number of them.
/// struct Buffer {
///     vmas: AtomicUsize,
/// }
///
/// struct BufferVmOps;
///
/// static BUFFER_VM_OPS: VmOperationsTable<BufferVmOps> = VmOperationsTable::new();
///
/// #[vtable]
/// impl VmOperations for BufferVmOps {
///     type Data = Buffer;
///     const TABLE: &'static VmOperationsTable<Self> = &BUFFER_VM_OPS;
///
///     fn open(buffer: ArcBorrow<'_, Buffer>, _vma: VmaSpan) {
///         buffer.vmas.fetch_add(1, Ordering::Relaxed);
///     }
///
///     fn close(buffer: ArcBorrow<'_, Buffer>, _vma: VmaSpan) {
///         buffer.vmas.fetch_sub(1, Ordering::Relaxed);
///     }
/// }
///
/// /// The end of an mmap hook: from here the VMA is the buffer's.
/// fn mmap(buffer: Arc<Buffer>, vma: &VmaNew) -> Result {
///     vma.set_vm_ops::<BufferVmOps>(buffer.clone())?;
///     // Counted once it is the buffer's: `close` uncounts it, even if the hook fails later.
///     buffer.vmas.fetch_add(1, Ordering::Relaxed);
///     Ok(())
/// }
///
/// /// Zaps `addr..addr + len` of the VMA at `addr` if it is one of `buffer`'s.
/// fn zap(vma: &VmaRef, buffer: &Buffer, addr: usize, len: usize) -> Result {
///     let vma = vma.with_ops::<BufferVmOps>().ok_or(EINVAL)?;
///     if !core::ptr::eq(&*vma.data(), buffer) {
///         // Some other buffer's VMA.
///         return Err(EINVAL);
///     }
///     vma.zap_vma_range(addr, len);
///     Ok(())
/// }
/// # // build-only: a `VmaNew` only exists in an mmap hook; the `rust_mm` suite runs these.
/// # let _ = (mmap, zap);
/// ```
#[vtable]
pub trait VmOperations: Sized + 'static {
    /// The data the VMAs of these operations own a reference to.
    type Data: Send + Sync;

    /// The table of these operations: a `static` of the driver's, whose address tells the VMAs of
    /// these operations from all others. [`VmOperationsTable`] cannot be promoted to a constant,
    /// so `&VmOperationsTable::new()` does not compile here: name a `static`.
    const TABLE: &'static VmOperationsTable<Self>;

    /// Called when the mm core has made the VMA `vma` from another VMA of these operations (a
    /// split, a move by `mremap()` or a copy by `fork()`, into the child's address space); the
    /// VMA already owns its reference to `data`.
    fn open(_data: ArcBorrow<'_, Self::Data>, _vma: VmaSpan) {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the VMA `vma` goes away, before its reference to `data` is dropped; also for
    /// a VMA whose mmap hook failed after [`VmaNew::set_vm_ops`]. It is called once for each VMA
    /// that `set_vm_ops` or `open` gave data to.
    fn close(_data: ArcBorrow<'_, Self::Data>, _vma: VmaSpan) {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when `mremap()` has moved the pages of a VMA of these operations into `vma`, a new
    /// VMA that [`VmOperations::open`] has seen. An error moves them back, and `mremap()` fails
    /// with it: a driver that finds its mapping by address refuses moves this way. Without this
    /// callback, moves are allowed.
    fn mremap(_data: ArcBorrow<'_, Self::Data>, _vma: VmaSpan) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The bounds of a VMA, as [`VmOperations::open`] and [`VmOperations::close`] see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmaSpan {
    /// The (inclusive) start address.
    pub start: usize,
    /// The (exclusive) end address.
    pub end: usize,
    /// The offset of `start` in the mapped file, in pages (`vm_pgoff`).
    pub pgoff: usize,
}

impl VmaSpan {
    /// # Safety
    ///
    /// `vma` must be valid, and its bounds not written concurrently (the mmap write lock is
    /// held, or the mmap read lock and the VMA is out of reach of writers).
    unsafe fn of(vma: *const bindings::vm_area_struct) -> Self {
        // SAFETY: By the safety requirements, these reads are valid and not data races.
        unsafe {
            VmaSpan {
                start: (*vma).__bindgen_anon_1.__bindgen_anon_1.vm_start,
                end: (*vma).__bindgen_anon_1.__bindgen_anon_1.vm_end,
                pgoff: (*vma).vm_pgoff,
            }
        }
    }
}

/// The `struct vm_operations_struct` of a [`VmOperations`] implementation.
///
/// It has interior mutability (as far as the compiler knows), so that it can only live in a
/// `static`, whose address is its own: a constant could be merged with an identical one.
///
/// # Invariants
///
/// `ops` has `open` and `close` set to the callbacks of `T`, `mremap` too if `T` has it, and
/// every other field zero, and is never written after [`VmOperationsTable::new`].
pub struct VmOperationsTable<T: VmOperations> {
    ops: Opaque<bindings::vm_operations_struct>,
    _t: PhantomData<T>,
}

// SAFETY: The table is never written after it is made (by the type invariants), so sharing it
// between threads is sharing immutable data; the C side only reads it.
unsafe impl<T: VmOperations> Sync for VmOperationsTable<T> {}

impl<T: VmOperations> Default for VmOperationsTable<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: VmOperations> VmOperationsTable<T> {
    /// Makes the table of `T`'s operations.
    pub const fn new() -> Self {
        // SAFETY: All fields of `vm_operations_struct` are integers or optional function
        // pointers, for which all zeroes is a valid value (0 or `None`).
        let mut ops: bindings::vm_operations_struct =
            unsafe { MaybeUninit::zeroed().assume_init() };
        ops.open = Some(Self::open_callback);
        // Also without `T::close`: it drops the VMA's reference, and a VMA with `close` is
        // never removed by a merge (`can_merge_remove_vma()`), which would free it without.
        ops.close = Some(Self::close_callback);
        if T::HAS_MREMAP {
            ops.mremap = Some(Self::mremap_callback);
        }
        // INVARIANT: `open`, `close` and `mremap` are `T`'s, everything else is zero.
        Self {
            ops: Opaque::new(ops),
            _t: PhantomData,
        }
    }

    #[inline]
    fn as_raw(&'static self) -> *const bindings::vm_operations_struct {
        self.ops.get()
    }

    /// # Safety
    ///
    /// `vma` must be a VMA that the mm core has just made as a copy of a VMA whose `vm_ops` is
    /// this table (`vm_area_dup()` in `__split_vma()`, `copy_vma()` and `dup_mmap()`), not yet
    /// reachable by anyone else, with the mmap write lock held (in `dup_mmap()`, of both address
    /// spaces): its `vm_ops` is this table, and its `vm_private_data` is the original's, a pointer
    /// from `Arc<T::Data>::into_foreign` that the original VMA (still alive) owns.
    unsafe extern "C" fn open_callback(vma: *mut bindings::vm_area_struct) {
        // SAFETY: By the safety requirements, `vma` is valid and the private data is a live
        // `Arc<T::Data>` owned by the original VMA, which outlives this call.
        let data = unsafe { <Arc<T::Data> as ForeignOwnable>::borrow((*vma).vm_private_data) };
        // A reference of its own for the new VMA, whose `vm_private_data` (the same pointer, as
        // `into_foreign` of an `Arc` is) now stands for it.
        core::mem::forget(Arc::<T::Data>::from(data));
        if T::HAS_OPEN {
            // SAFETY: The new VMA owns the reference, alive for this call.
            let data = unsafe { <Arc<T::Data> as ForeignOwnable>::borrow((*vma).vm_private_data) };
            // SAFETY: `vma` is valid and the mmap write lock is held.
            T::open(data, unsafe { VmaSpan::of(vma) });
        }
    }

    /// # Safety
    ///
    /// `vma` must be a VMA whose `vm_ops` is this table (so it owns a reference from
    /// `Arc<T::Data>::into_foreign` in `vm_private_data`) that is going away, with its bounds no
    /// longer written, and that no reader can reach: either `vma_start_write()` drained its VMA
    /// lock readers and marked it detached before it left the tree under the mmap write lock (a
    /// read lock taken after `munmap()` downgrades that lock cannot find it, and
    /// `lock_vma_under_rcu()` rechecks `detached`); or the mmap write lock is still held and the
    /// VMA is write-locked and detached (`MAP_FIXED` over it); or its address space has no user
    /// left (`exit_mmap()`), so there is no `MmWithUser` to look it up with; or it never was in
    /// the tree (a failed `copy_vma()` or mmap hook).
    unsafe extern "C" fn close_callback(vma: *mut bindings::vm_area_struct) {
        // SAFETY: By the safety requirements, `vma` is valid.
        let ptr = unsafe { (*vma).vm_private_data };
        if T::HAS_CLOSE {
            // SAFETY: The VMA owns the reference until it is dropped below.
            let data = unsafe { <Arc<T::Data> as ForeignOwnable>::borrow(ptr) };
            // SAFETY: `vma` is valid and its bounds are not written any more.
            T::close(data, unsafe { VmaSpan::of(vma) });
        }
        // SAFETY: The VMA's reference is given up here, once: the mm core calls `close` through
        // `vma_close()`, which then resets `vm_ops` to the dummy operations (so a second
        // `remove_vma()`, as after a failed `MAP_FIXED`, does not call it again), or frees the
        // VMA. The borrow above is gone, and no other exists: borrows come from
        // `VmaWithOps::data`, which needs the VMA found by a reader, and none can reach it.
        drop(unsafe { <Arc<T::Data> as ForeignOwnable>::from_foreign(ptr) });
    }

    /// # Safety
    ///
    /// `vma` must be the new VMA that `mremap()` has moved the pages of a VMA of this table into,
    /// with the mmap write lock held: `open_callback` has given it its reference.
    unsafe extern "C" fn mremap_callback(vma: *mut bindings::vm_area_struct) -> c_int {
        // SAFETY: By the safety requirements, `vma` is valid and owns a reference from
        // `Arc<T::Data>::into_foreign` in `vm_private_data`, which outlives this call.
        let data = unsafe { <Arc<T::Data> as ForeignOwnable>::borrow((*vma).vm_private_data) };
        // SAFETY: `vma` is valid and the mmap write lock is held.
        match T::mremap(data, unsafe { VmaSpan::of(vma) }) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

impl VmaNew {
    /// Makes this VMA one of `T`'s: installs `T`'s operations table and gives the VMA `data`.
    ///
    /// From here the VMA owns the reference `data` was; [`VmaRef::with_ops::<T>`] finds it.
    /// `T::close` is called when the VMA goes away, which is right away if the mmap hook fails.
    /// Sets `VM_DONTEXPAND` too ([`VmaNew::set_dontexpand`]): with it the mm core never merges
    /// the VMA with another, which would free one of them without `close`, and never grows it, so
    /// every VMA of `T`'s is one a hook set up or one made from such a VMA. Fails with `EBUSY`,
    /// changing nothing, if the VMA has private data already (a second call).
    ///
    /// [`VmaRef::with_ops::<T>`]: VmaRef::with_ops
    pub fn set_vm_ops<T: VmOperations>(&self, data: Arc<T::Data>) -> Result {
        let vma = self.as_ptr();
        // SAFETY: The VMA is being set up in an mmap hook, with the mmap write lock held, and
        // `VmaNew` is not `Sync`: nothing else reads or writes these fields.
        unsafe {
            if !(*vma).vm_private_data.is_null() {
                return Err(EBUSY);
            }
            (*vma).vm_private_data = data.into_foreign() as _;
            // INVARIANT: `vm_ops` is `T::TABLE` only together with a reference from
            // `Arc<T::Data>::into_foreign`, which the VMA owns.
            (*vma).vm_ops = T::TABLE.as_raw();
        }
        self.set_dontexpand();
        Ok(())
    }
}

/// The end of a failed mmap hook: if the hook installed operations (through
/// [`VmaNew::set_vm_ops`], the only way safe code can), closes the VMA, which drops its data. The
/// mm core resets `vm_ops` of such a VMA and frees it without calling `close`.
///
/// The `f_ops->mmap` of every Rust abstraction that hands out a [`VmaNew`] must call it when the
/// hook fails (see [`VmaNew::from_raw`]); the misc device's does.
///
/// # Safety
///
/// `vma` must be the VMA of an mmap hook that has just failed, with the mmap write lock held,
/// and `ops_before` its `vm_ops` before the hook ran; if the hook changed `vm_ops`, it did so
/// through [`VmaNew::set_vm_ops`].
pub unsafe fn close_failed_mmap(
    vma: *mut bindings::vm_area_struct,
    ops_before: *const bindings::vm_operations_struct,
) {
    // SAFETY: By the safety requirements, `vma` is valid and not shared yet.
    let ops = unsafe { (*vma).vm_ops };
    if ops.is_null() || ops == ops_before {
        return;
    }
    // SAFETY: `vm_ops` was set by `set_vm_ops`, so it is a `VmOperationsTable`, live for ever.
    if let Some(close) = unsafe { (*ops).close } {
        // SAFETY: The VMA never entered the address space, and its `vm_ops` and private data are
        // the ones `set_vm_ops` installed.
        unsafe { close(vma) };
    }
    // SAFETY: As above; the VMA is not shared. Leave nothing behind for the mm core.
    unsafe {
        (*vma).vm_ops = ops_before;
        (*vma).vm_private_data = core::ptr::null_mut();
    }
}

/// A VMA of `T`'s operations, under the mmap or VMA read lock: the driver's typed view of it.
///
/// Only [`VmaRef::with_ops`] makes one, after checking the VMA's operations table, so inserting
/// into or zapping a `VmaWithOps<T>` (through [`Deref`] to [`VmaRef`]) can only touch a VMA that
/// `T`'s driver set up.
///
/// # Invariants
///
/// The VMA's `vm_ops` is `T::TABLE`, so its `vm_private_data` is a reference from
/// `Arc<T::Data>::into_foreign` that the VMA owns; the mmap or VMA read lock is held for as long as
/// the `&VmaWithOps<T>` lives.
#[repr(transparent)]
pub struct VmaWithOps<T: VmOperations> {
    vma: VmaRef,
    _t: PhantomData<T>,
}

impl<T: VmOperations> Deref for VmaWithOps<T> {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        &self.vma
    }
}

impl<T: VmOperations> VmaWithOps<T> {
    /// The data this VMA owns a reference to, borrowed for as long as the VMA is.
    #[inline]
    pub fn data(&self) -> ArcBorrow<'_, T::Data> {
        // SAFETY: By the type invariants, the private data is a reference the VMA owns. It is
        // only dropped by `close`, which runs when no reader can reach the VMA any more (see
        // `close_callback`), and the holder of the read lock behind `&self` is such a reader.
        unsafe { <Arc<T::Data> as ForeignOwnable>::borrow((*self.as_ptr()).vm_private_data) }
    }
}

impl VmaRef {
    /// Returns the view of this VMA as one of `T`'s, if it has `T`'s operations table (it was set
    /// up by [`VmaNew::set_vm_ops::<T>`], or made from such a VMA); `None` otherwise.
    ///
    /// [`VmaNew::set_vm_ops::<T>`]: VmaNew::set_vm_ops
    #[inline]
    pub fn with_ops<T: VmOperations>(&self) -> Option<&VmaWithOps<T>> {
        // SAFETY: By the type invariants of `VmaRef`, the mmap or VMA read lock is held, so
        // `vm_ops` does not change under us.
        let ops = unsafe { (*self.as_ptr()).vm_ops };
        if ops == T::TABLE.as_raw() {
            // SAFETY: `VmaWithOps<T>` is a transparent wrapper of `VmaRef`. INVARIANT: The VMA
            // has `T::TABLE`, which `set_vm_ops` installs only with the private data, and the
            // lock of `&self` is held for the lifetime of the result.
            Some(unsafe { &*core::ptr::from_ref(self).cast() })
        } else {
            None
        }
    }
}
