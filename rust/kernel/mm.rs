// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2024 Google LLC.

//! Memory management.
//!
//! This module deals with managing the address space of userspace processes. Each process has an
//! instance of [`Mm`], which keeps track of multiple VMAs (virtual memory areas). Each VMA
//! corresponds to a region of memory that the userspace process can access, and the VMA lets you
//! control what happens when userspace reads or writes to that region of memory.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)
//!
//! This is the 6.12 port of mainline's `kernel::mm`. It differs from mainline only where 6.12's C
//! side forces it; the port exports `lock_vma_under_rcu`, which 6.12 does not, so that loadable
//! modules can call [`MmWithUser::lock_vma_under_rcu`] as they can in mainline.
#![cfg(CONFIG_MMU)]

use crate::{
    bindings,
    types::{ARef, AlwaysRefCounted, NotThreadSafe, Opaque},
};
use core::{ops::Deref, ptr::NonNull};

pub mod virt;
use virt::VmaRef;

mod mmput_async;
pub use mmput_async::MmWithUserAsync;

// `RUST_MM_KUNIT_TEST` depends on `KUNIT=y`: with `KUNIT=m`, the kernel crate cannot call KUnit.
#[cfg(CONFIG_RUST_MM_KUNIT_TEST)]
mod tests;

/// A wrapper for the kernel's `struct mm_struct`.
///
/// This represents the address space of a userspace process, so each process has one `Mm`
/// instance. It may hold many VMAs internally.
///
/// There is a counter called `mm_users` that counts the users of the address space; this includes
/// the userspace process itself, but can also include kernel threads accessing the address space.
/// Once `mm_users` reaches zero, this indicates that the address space can be destroyed. To access
/// the address space, you must prevent `mm_users` from reaching zero while you are accessing it.
/// The [`MmWithUser`] type represents an address space where this is guaranteed, and you can
/// create one using [`mmget_not_zero`].
///
/// The `ARef<Mm>` smart pointer holds an `mmgrab` refcount. Its destructor may sleep.
///
/// # Invariants
///
/// Values of this type are always refcounted using `mmgrab`.
///
/// [`mmget_not_zero`]: Mm::mmget_not_zero
#[repr(transparent)]
pub struct Mm {
    mm: Opaque<bindings::mm_struct>,
}

// SAFETY: It is safe to call `mmdrop` on another thread than where `mmgrab` was called.
unsafe impl Send for Mm {}
// SAFETY: All methods on `Mm` can be called in parallel from several threads.
unsafe impl Sync for Mm {}

// SAFETY: By the type invariants, this type is always refcounted.
unsafe impl AlwaysRefCounted for Mm {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmgrab(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up their refcount.
        unsafe { bindings::mmdrop(obj.cast().as_ptr()) };
    }
}

/// A wrapper for the kernel's `struct mm_struct`.
///
/// This type is like [`Mm`], but with non-zero `mm_users`. It can only be used when `mm_users` can
/// be proven to be non-zero at compile-time, usually because the relevant code holds an `mmget`
/// refcount. It can be used to access the associated address space.
///
/// The `ARef<MmWithUser>` smart pointer holds an `mmget` refcount. Its destructor may sleep.
///
/// # Invariants
///
/// Values of this type are always refcounted using `mmget`. The value of `mm_users` is non-zero.
#[repr(transparent)]
pub struct MmWithUser {
    mm: Mm,
}

// SAFETY: It is safe to call `mmput` on another thread than where `mmget` was called.
unsafe impl Send for MmWithUser {}
// SAFETY: All methods on `MmWithUser` can be called in parallel from several threads.
unsafe impl Sync for MmWithUser {}

// SAFETY: By the type invariants, this type is always refcounted.
unsafe impl AlwaysRefCounted for MmWithUser {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmget(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up their refcount.
        unsafe { bindings::mmput(obj.cast().as_ptr()) };
    }
}

// Make all `Mm` methods available on `MmWithUser`.
impl Deref for MmWithUser {
    type Target = Mm;

    #[inline]
    fn deref(&self) -> &Mm {
        &self.mm
    }
}

// These methods are safe to call even if `mm_users` is zero.
impl Mm {
    /// Returns a raw pointer to the inner `mm_struct`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::mm_struct {
        self.mm.get()
    }

    /// Obtain a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// The caller must ensure that `ptr` points at an `mm_struct`, and that it is not deallocated
    /// during the lifetime 'a.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::mm_struct) -> &'a Mm {
        // SAFETY: Caller promises that the pointer is valid for 'a. Layouts are compatible due to
        // repr(transparent).
        unsafe { &*ptr.cast() }
    }

    /// Calls `mmget_not_zero` and returns a handle if it succeeds.
    ///
    /// # Examples
    ///
    /// A dead address space (`mm_users` zero) cannot be used any more; it is only kept alive by
    /// the `mmgrab` of an [`ARef<Mm>`](ARef):
    ///
    /// ```
    /// use kernel::{mm::Mm, types::ARef};
    ///
    /// /// Returns the number of the first page of the vma at `addr`, if the mm is still alive.
    /// fn first_page(mm: &Mm, addr: usize) -> Option<usize> {
    ///     let mm = mm.mmget_not_zero()?;
    ///     // `mm_users` cannot drop to zero while `mm` is alive.
    ///     let guard = mm.mmap_read_lock();
    ///     let start = guard.vma_lookup(addr)?.start();
    ///     Some(start >> kernel::page::PAGE_SHIFT)
    /// }
    /// # // On a real address space: the test's own, with one page mapped at `addr`.
    /// # let addr = kernel::kunit::vm_mmap_anon(kernel::page::PAGE_SIZE)?;
    /// # let task = kernel::current!();
    /// # let mm = task.mm().ok_or(kernel::error::code::ESRCH)?;
    /// # assert_eq!(first_page(mm, addr), Some(addr >> kernel::page::PAGE_SHIFT));
    /// # assert_eq!(first_page(mm, 0), None);
    /// # Ok::<(), kernel::error::Error>(())
    /// ```
    #[inline]
    pub fn mmget_not_zero(&self) -> Option<ARef<MmWithUser>> {
        // SAFETY: The pointer is valid since self is a reference.
        let success = unsafe { bindings::mmget_not_zero(self.as_raw()) };

        if success {
            // SAFETY: We just created an `mmget` refcount, which the `ARef` takes over. The layouts
            // are compatible due to `repr(transparent)`.
            //
            // INVARIANT: `mmget_not_zero` succeeded, so `mm_users` is non-zero and one of its
            // counts is ours.
            Some(unsafe { ARef::from_raw(NonNull::new_unchecked(self.as_raw().cast())) })
        } else {
            None
        }
    }
}

// These methods require `mm_users` to be non-zero.
impl MmWithUser {
    /// Obtain a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// The caller must ensure that `ptr` points at an `mm_struct`, and that `mm_users` remains
    /// non-zero for the duration of the lifetime 'a.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::mm_struct) -> &'a MmWithUser {
        // SAFETY: Caller promises that the pointer is valid for 'a. The layout is compatible due
        // to repr(transparent).
        unsafe { &*ptr.cast() }
    }

    /// Attempt to access a vma using the vma read lock.
    ///
    /// This is an optimistic trylock operation, so it may fail if there is contention. In that
    /// case, you should fall back to taking the mmap read lock.
    ///
    /// When per-vma locks are disabled (`CONFIG_PER_VMA_LOCK` is off), this always returns `None`,
    /// as the C function does.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::mm::MmWithUser;
    ///
    /// /// Returns the start of the vma at `addr`, taking the cheapest lock that works.
    /// fn vma_start(mm: &MmWithUser, addr: usize) -> Option<usize> {
    ///     if let Some(vma) = mm.lock_vma_under_rcu(addr) {
    ///         return Some(vma.start());
    ///     }
    ///     let guard = mm.mmap_read_lock();
    ///     guard.vma_lookup(addr).map(|vma| vma.start())
    /// }
    /// # // On a real address space: the test's own, with one page mapped at `addr`.
    /// # let addr = kernel::kunit::vm_mmap_anon(kernel::page::PAGE_SIZE)?;
    /// # let task = kernel::current!();
    /// # let mm = task.mm().ok_or(kernel::error::code::ESRCH)?;
    /// # assert_eq!(vma_start(mm, addr + 1), Some(addr));
    /// # assert_eq!(vma_start(mm, 0), None);
    /// # Ok::<(), kernel::error::Error>(())
    /// ```
    #[inline]
    pub fn lock_vma_under_rcu(&self, vma_addr: usize) -> Option<VmaReadGuard<'_>> {
        #[cfg(CONFIG_PER_VMA_LOCK)]
        {
            // SAFETY: Calling `bindings::lock_vma_under_rcu` is always okay given an mm where
            // `mm_users` is non-zero.
            let vma = unsafe { bindings::lock_vma_under_rcu(self.as_raw(), vma_addr) };
            if !vma.is_null() {
                // INVARIANT: A non-null return value means that we now hold its vma read lock.
                return Some(VmaReadGuard {
                    // SAFETY: If `lock_vma_under_rcu` returns a non-null ptr, then it points at a
                    // valid vma that is read-locked. The vma is stable for as long as the vma read
                    // lock is held, and the guard only lends the reference out while it holds it.
                    vma: unsafe { VmaRef::from_raw(vma) },
                    _nts: NotThreadSafe,
                });
            }
        }

        // Silence warnings about unused variables.
        #[cfg(not(CONFIG_PER_VMA_LOCK))]
        let _ = vma_addr;

        None
    }

    /// Lock the mmap read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::mm::MmWithUser;
    ///
    /// /// Returns the flags of the vma at `addr`, if there is one.
    /// fn flags_at(mm: &MmWithUser, addr: usize) -> Option<kernel::mm::virt::vm_flags_t> {
    ///     let guard = mm.mmap_read_lock();
    ///     let vma = guard.vma_lookup(addr)?;
    ///     Some(vma.flags())
    ///     // `guard` is dropped here, which unlocks the mmap read lock.
    /// }
    /// # // On a real address space: the test's own, with one page mapped at `addr`.
    /// # let addr = kernel::kunit::vm_mmap_anon(kernel::page::PAGE_SIZE)?;
    /// # let task = kernel::current!();
    /// # let mm = task.mm().ok_or(kernel::error::code::ESRCH)?;
    /// # use kernel::mm::virt::flags;
    /// # let rw = flags::READ | flags::WRITE;
    /// # assert_eq!(flags_at(mm, addr).map(|f| f & (rw | flags::SHARED)), Some(rw));
    /// # assert_eq!(flags_at(mm, 0), None);
    /// # Ok::<(), kernel::error::Error>(())
    /// ```
    #[inline]
    pub fn mmap_read_lock(&self) -> MmapReadGuard<'_> {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmap_read_lock(self.as_raw()) };

        // INVARIANT: We just acquired the read lock.
        MmapReadGuard {
            mm: self,
            _nts: NotThreadSafe,
        }
    }

    /// Try to lock the mmap read lock.
    #[inline]
    pub fn mmap_read_trylock(&self) -> Option<MmapReadGuard<'_>> {
        // SAFETY: The pointer is valid since self is a reference.
        let success = unsafe { bindings::mmap_read_trylock(self.as_raw()) };

        if success {
            // INVARIANT: We just acquired the read lock.
            Some(MmapReadGuard {
                mm: self,
                _nts: NotThreadSafe,
            })
        } else {
            None
        }
    }
}

/// A guard for the mmap read lock.
///
/// # Invariants
///
/// This `MmapReadGuard` guard owns the mmap read lock.
pub struct MmapReadGuard<'a> {
    mm: &'a MmWithUser,
    // `mmap_read_lock` and `mmap_read_unlock` must be called on the same thread
    _nts: NotThreadSafe,
}

impl<'a> MmapReadGuard<'a> {
    /// Look up a vma at the given address.
    #[inline]
    pub fn vma_lookup(&self, vma_addr: usize) -> Option<&virt::VmaRef> {
        // SAFETY: By the type invariants we hold the mmap read guard, so we can safely call this
        // method. Any value is okay for `vma_addr`.
        let vma = unsafe { bindings::vma_lookup(self.mm.as_raw(), vma_addr) };

        if vma.is_null() {
            None
        } else {
            // SAFETY: We just checked that a vma was found, so the pointer references a valid vma.
            //
            // Furthermore, the returned vma is still under the protection of the read lock guard
            // and can be used while the mmap read lock is still held. That the vma is not used
            // after the MmapReadGuard gets dropped is enforced by the borrow-checker.
            unsafe { Some(virt::VmaRef::from_raw(vma)) }
        }
    }
}

impl Drop for MmapReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: We hold the read lock by the type invariants.
        unsafe { bindings::mmap_read_unlock(self.mm.as_raw()) };
    }
}

/// A guard for the vma read lock.
///
/// # Invariants
///
/// This `VmaReadGuard` guard owns the vma read lock.
pub struct VmaReadGuard<'a> {
    vma: &'a VmaRef,
    // `vma_end_read` must be called on the same thread as where the lock was taken
    _nts: NotThreadSafe,
}

// Make all `VmaRef` methods available on `VmaReadGuard`.
impl Deref for VmaReadGuard<'_> {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        self.vma
    }
}

impl Drop for VmaReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: We hold the read lock by the type invariants.
        unsafe { bindings::vma_end_read(self.vma.as_ptr()) };
    }
}
