// SPDX-License-Identifier: GPL-2.0

//! KUnit tests for `kernel::mm` and `kernel::mm::virt` on real address spaces.
//!
//! The test thread gets an address space of its own from `kunit_vm_mmap()` (a fresh `mm` with a
//! proper mmap layout, attached with `kthread_use_mm()`), and real mappings in it: anonymous ones,
//! and ones of an anonymous-inode file whose `f_ops->mmap` is a Rust hook handed a `VmaNew`.
//! Pages are read back through the user addresses with `copy_from_user()`, so a zapped page shows
//! up as `EFAULT` and an inserted one as its contents.
//!
//! A failed assertion ends the test thread on the spot, without running destructors, and the
//! thread's exit then tears its address space down: no assertion may run while a lock of that
//! address space is held, or the exit would wait for it forever. The cases therefore note what
//! they see under a lock and assert it once the guard is dropped.

use kernel::prelude::*;

#[kunit_tests(rust_mm)]
mod rust_mm {
    use core::{
        cell::Cell,
        ffi::c_int,
        ptr,
        sync::atomic::{AtomicI32, Ordering},
    };
    use kernel::{
        bindings,
        error::from_result,
        mm::{
            virt::{
                flags,
                ops::{VmOperations, VmOperationsTable, VmaSpan},
                vm_flags_t, InsertPagesError, VmaMixedMap, VmaNew, VmaRef, INSERT_PAGES_CHUNK,
            },
            Mm, MmWithUser, MmapReadGuard,
        },
        page::{Page, PAGE_SIZE},
        prelude::*,
        sync::{Arc, ArcBorrow},
        types::ARef,
        uaccess::UserSlice,
    };

    /// What the mmap hook of the test file does with the new vma.
    #[derive(Clone, Copy, PartialEq)]
    enum Hook {
        /// Configure it as a driver would and insert the file's pages.
        Insert,
        /// Only check the `try_clear_*` rules and record what they returned.
        ClearRules,
        /// Fail the mmap.
        Fail,
        /// Insert the pages and give the vma `TestOps`.
        Ops,
        /// Insert the pages and give the vma `OtherOps`, whose data has the same type.
        OtherOps,
        /// Give the vma `TestOps`, then fail the mmap.
        OpsThenFail,
        /// Give the vma `TestOps` twice, recording what the second call returned.
        OpsTwice,
        /// Only give the vma `TestOps`: no other flag, no page.
        OpsOnly,
    }

    /// The data of the vmas of `TestOps` and `OtherOps`: how many there are, and how many times
    /// each callback ran.
    struct OpsCount {
        vmas: AtomicI32,
        opens: AtomicI32,
        closes: AtomicI32,
    }

    impl OpsCount {
        fn get(&self) -> (i32, i32, i32) {
            (
                self.vmas.load(Ordering::Relaxed),
                self.opens.load(Ordering::Relaxed),
                self.closes.load(Ordering::Relaxed),
            )
        }

        fn opened(&self) {
            self.vmas.fetch_add(1, Ordering::Relaxed);
            self.opens.fetch_add(1, Ordering::Relaxed);
        }

        fn closed(&self) {
            self.vmas.fetch_sub(1, Ordering::Relaxed);
            self.closes.fetch_add(1, Ordering::Relaxed);
        }
    }

    struct TestOps;
    static TEST_VM_OPS: VmOperationsTable<TestOps> = VmOperationsTable::new();

    #[vtable]
    impl VmOperations for TestOps {
        type Data = OpsCount;
        const TABLE: &'static VmOperationsTable<Self> = &TEST_VM_OPS;

        fn open(count: ArcBorrow<'_, OpsCount>, _vma: VmaSpan) {
            count.opened();
        }

        fn close(count: ArcBorrow<'_, OpsCount>, _vma: VmaSpan) {
            count.closed();
        }
    }

    struct OtherOps;
    static OTHER_VM_OPS: VmOperationsTable<OtherOps> = VmOperationsTable::new();

    #[vtable]
    impl VmOperations for OtherOps {
        type Data = OpsCount;
        const TABLE: &'static VmOperationsTable<Self> = &OTHER_VM_OPS;

        fn open(count: ArcBorrow<'_, OpsCount>, _vma: VmaSpan) {
            count.opened();
        }

        fn close(count: ArcBorrow<'_, OpsCount>, _vma: VmaSpan) {
            count.closed();
        }
    }

    /// The state behind the test file: its pages and what the hook saw.
    struct TestFile {
        hook: Hook,
        pages: KVec<Page>,
        calls: Cell<u32>,
        flags_before: Cell<vm_flags_t>,
        flags_after: Cell<vm_flags_t>,
        prot: Cell<(bool, bool, bool)>,
        clear: Cell<[c_int; 3]>,
        ops: Arc<OpsCount>,
        second_set: Cell<c_int>,
    }

    impl TestFile {
        fn new(hook: Hook, npages: usize) -> Result<KBox<Self>> {
            let mut pages = KVec::with_capacity(npages, GFP_KERNEL)?;
            for i in 0..npages {
                let page = Page::alloc_page(GFP_KERNEL)?;
                fill(&page, i as u8 + 1)?;
                pages.push(page, GFP_KERNEL)?;
            }
            Ok(KBox::new(
                TestFile {
                    hook,
                    pages,
                    calls: Cell::new(0),
                    flags_before: Cell::new(0),
                    flags_after: Cell::new(0),
                    prot: Cell::new((false, false, false)),
                    clear: Cell::new([0; 3]),
                    ops: Arc::new(
                        OpsCount {
                            vmas: AtomicI32::new(0),
                            opens: AtomicI32::new(0),
                            closes: AtomicI32::new(0),
                        },
                        GFP_KERNEL,
                    )?,
                    second_set: Cell::new(0),
                },
                GFP_KERNEL,
            )?)
        }

        fn mmap(&self, vma: &VmaNew) -> Result {
            self.calls.set(self.calls.get() + 1);
            self.flags_before.set(vma.flags());
            self.prot
                .set((vma.readable(), vma.writable(), vma.executable()));
            match self.hook {
                Hook::Fail => Err(ENXIO),
                Hook::ClearRules => {
                    let rc = |r: Result| r.err().map_or(0, |e| e.to_errno());
                    // The order matters: clearing MAYREAD would let nothing else be checked.
                    let w = rc(vma.try_clear_maywrite());
                    let x = rc(vma.try_clear_mayexec());
                    let r = rc(vma.try_clear_mayread());
                    self.clear.set([r, w, x]);
                    self.flags_after.set(vma.flags());
                    Ok(())
                }
                Hook::Insert => self.insert(vma),
                Hook::OpsOnly => {
                    vma.set_vm_ops::<TestOps>(self.ops.clone())?;
                    self.ops.vmas.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Hook::Ops | Hook::OtherOps | Hook::OpsThenFail | Hook::OpsTwice => {
                    self.insert(vma)?;
                    // The vma is counted from here: `close` uncounts it, even if the mmap fails.
                    self.ops.vmas.fetch_add(1, Ordering::Relaxed);
                    if self.hook == Hook::OtherOps {
                        return vma.set_vm_ops::<OtherOps>(self.ops.clone());
                    }
                    vma.set_vm_ops::<TestOps>(self.ops.clone())?;
                    match self.hook {
                        Hook::OpsThenFail => Err(ENXIO),
                        Hook::OpsTwice => {
                            let r = vma.set_vm_ops::<TestOps>(self.ops.clone());
                            self.second_set.set(r.err().map_or(0, |e| e.to_errno()));
                            Ok(())
                        }
                        _ => Ok(()),
                    }
                }
            }
        }

        /// Configures `vma` as a driver would and inserts the file's pages.
        fn insert(&self, vma: &VmaNew) -> Result {
            vma.try_clear_mayexec()?;
            vma.set_dontcopy();
            vma.set_dontexpand();
            vma.set_dontdump();
            vma.set_io();
            let mixed = vma.set_mixedmap();
            let pgoff = vma.pgoff();
            let len = (vma.end() - vma.start()) / PAGE_SIZE;
            for i in 0..len {
                let page = self.pages.get(pgoff + i).ok_or(EINVAL)?;
                mixed.vm_insert_page(vma.start() + i * PAGE_SIZE, page)?;
            }
            self.flags_after.set(vma.flags());
            Ok(())
        }
    }

    /// Fills `page` with the byte `b`.
    fn fill(page: &Page, b: u8) -> Result {
        let chunk = [b; 64];
        for off in (0..PAGE_SIZE).step_by(chunk.len()) {
            // SAFETY: `chunk` is valid for reading `chunk.len()` bytes, and nobody else can reach
            // `page` yet.
            unsafe { page.write_raw(chunk.as_ptr(), off, chunk.len())? };
        }
        Ok(())
    }

    /// The `f_ops->mmap` of the test files.
    ///
    /// # Safety
    ///
    /// `file` must be a file made by [`File::new`], and `vma` a vma being set up for it in
    /// `mmap_region()`.
    unsafe extern "C" fn test_mmap(
        file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: By the safety requirements, `file` was made by `File::new`, so its
        // `private_data` is the `TestFile` of a `File` that the test still holds while it maps
        // the file.
        let tf = unsafe { &*(*file).private_data.cast::<TestFile>() };
        // SAFETY: By the safety requirements, `vma` is valid and not shared yet.
        let ops_before = unsafe { (*vma).vm_ops };
        // SAFETY: By the safety requirements, `vma` is undergoing initial setup.
        let new = unsafe { VmaNew::from_raw(vma) };
        let r = from_result(|| tf.mmap(new).map(|()| 0));
        if r < 0 {
            // SAFETY: The hook just failed, and it changes `vm_ops` only with `set_vm_ops`.
            unsafe { kernel::mm::virt::ops::close_failed_mmap(vma, ops_before) };
        }
        r
    }

    struct Fops(bindings::file_operations);
    // SAFETY: The table is never written, and the `owner` pointer it contains is null.
    unsafe impl Sync for Fops {}

    static FOPS: Fops = Fops(bindings::file_operations {
        mmap: Some(test_mmap),
        // SAFETY: All-zeroes is a valid `file_operations`: no hooks, no owner.
        ..unsafe { core::mem::zeroed() }
    });

    /// An anonymous-inode file whose mmap hook is `TestFile::mmap`.
    ///
    /// # Invariants
    ///
    /// `file` holds a reference to a file whose `private_data` is `tf`.
    struct File {
        file: *mut bindings::file,
        tf: KBox<TestFile>,
    }

    impl File {
        fn new(hook: Hook, npages: usize) -> Result<Self> {
            let tf = TestFile::new(hook, npages)?;
            // SAFETY: The name is a valid C string, `FOPS` is a static, and the private data is
            // the `TestFile`, which `Self` keeps alive for as long as it holds the file.
            let file = unsafe {
                bindings::anon_inode_getfile(
                    kernel::c_str!("rust_mm_test").as_char_ptr(),
                    &FOPS.0,
                    ptr::from_ref::<TestFile>(&tf).cast_mut().cast(),
                    bindings::O_RDWR as c_int,
                )
            };
            let file = kernel::error::from_err_ptr(file)?;
            // INVARIANT: `anon_inode_getfile` returned a new reference to a file whose
            // `private_data` is `tf`.
            Ok(File { file, tf })
        }
    }

    impl Drop for File {
        fn drop(&mut self) {
            // The file's mappings outlive this (the test's mm goes when the test thread exits),
            // but they only hold references of their own to the file and to the inserted pages:
            // nothing reaches `tf` through them once the mmap hook has returned.
            //
            // SAFETY: By the type invariants we hold a reference to `file`.
            unsafe { bindings::fput(self.file) };
        }
    }

    /// Maps `len` bytes of `file` (or anonymous memory) into the test's address space.
    ///
    /// The first call gives the test thread its address space with `kthread_use_mm()`, which
    /// changes `current->mm` from null; the address space stays until the thread exits.
    fn mmap(file: Option<&File>, len: usize, prot: u32, flags: u32, pgoff: usize) -> Result<usize> {
        // SAFETY: Just an FFI call; it returns the running test or null.
        let test = unsafe { bindings::kunit_get_current_test() };
        if test.is_null() {
            return Err(EINVAL);
        }
        let file = file.map_or(ptr::null_mut(), |f| f.file);
        // SAFETY: `test` is the running test and `file` is null or a file we hold a reference to.
        let addr = unsafe {
            bindings::kunit_vm_mmap(
                test,
                file,
                0,
                len,
                prot as usize,
                flags as usize,
                pgoff * PAGE_SIZE,
            )
        };
        // `vm_mmap()` returns an address or a negative errno.
        if addr == 0 {
            return Err(ENOMEM);
        }
        kernel::error::from_err_ptr(addr as *mut core::ffi::c_void).map(|p| p as usize)
    }

    /// Maps `len` bytes of `file` at `addr`, over whatever is there (`MAP_FIXED`).
    fn mmap_fixed(file: &File, addr: usize, len: usize, pgoff: usize) -> Result<usize> {
        // SAFETY: Just an FFI call; it returns the running test or null.
        let test = unsafe { bindings::kunit_get_current_test() };
        if test.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: `test` is the running test and `file.file` a file we hold a reference to.
        let got = unsafe {
            bindings::kunit_vm_mmap(
                test,
                file.file,
                addr,
                len,
                RW as usize,
                (bindings::MAP_SHARED | bindings::MAP_FIXED) as usize,
                pgoff * PAGE_SIZE,
            )
        };
        if got == 0 {
            return Err(ENOMEM);
        }
        kernel::error::from_err_ptr(got as *mut core::ffi::c_void).map(|p| p as usize)
    }

    fn munmap(addr: usize, len: usize) -> Result {
        // SAFETY: Unmapping part of the test's own address space is always allowed.
        kernel::error::to_result(unsafe { bindings::vm_munmap(addr, len) })
    }

    /// Reads the first byte of each of `n` pages at `addr` through the user address.
    fn read_pages(addr: usize, n: usize) -> Result<KVec<u8>> {
        let mut out = KVec::with_capacity(n, GFP_KERNEL)?;
        for i in 0..n {
            let mut b = [0u8; 1];
            UserSlice::new(addr + i * PAGE_SIZE, 1)
                .reader()
                .read_slice(&mut b)?;
            out.push(b[0], GFP_KERNEL)?;
        }
        Ok(out)
    }

    /// The vma at `addr`, which must have `VM_MIXEDMAP`.
    fn mixedmap_vma<'a>(guard: &'a MmapReadGuard<'_>, addr: usize) -> Result<&'a VmaMixedMap> {
        guard
            .vma_lookup(addr)
            .ok_or(EINVAL)?
            .as_mixedmap_vma()
            .ok_or(EINVAL)
    }

    fn write_byte(addr: usize, b: u8) -> Result {
        UserSlice::new(addr, 1).writer().write_slice(&[b])
    }

    fn current_mm() -> Result<ARef<MmWithUser>> {
        let task = current!();
        let mm = task.mm().ok_or(ESRCH)?;
        mm.mmget_not_zero().ok_or(ESRCH)
    }

    /// The value of `mm_users`.
    fn mm_users(mm: &Mm) -> i32 {
        // SAFETY: `mm` is a reference, so the `mm_struct` is allocated (an `Mm` holds at least an
        // `mmgrab` reference) and the field is valid for reads. `mm_users` is an `atomic_t`, only
        // ever written with atomic operations, and `atomic_read()` is a `READ_ONCE()` of its
        // counter: a volatile load of an aligned `int`, which is what this is, so it does not
        // tear and is not a data race with those writes.
        unsafe {
            ptr::read_volatile(ptr::addr_of!(
                (*mm.as_raw()).__bindgen_anon_1.mm_users.counter
            ))
        }
    }

    /// Whether the `async_put_work` of `mm` is queued and has not started: `work_pending()`.
    fn async_put_pending(mm: &Mm) -> bool {
        // SAFETY: As in `mm_users`, the field is valid for reads. `data` is an `atomic_long_t`:
        // zero from `mm_alloc()`, set plainly by `INIT_WORK` in `mmput_async()` on this thread
        // before this read, and otherwise only written atomically by the workqueue code.
        // `work_pending()` is a `test_bit()` on it, a volatile load of an aligned `long`, which
        // is what this is.
        let data = unsafe {
            ptr::read_volatile(ptr::addr_of!(
                (*mm.as_raw()).__bindgen_anon_1.async_put_work.data.counter
            ))
        };
        data & (1 << bindings::work_bits_WORK_STRUCT_PENDING_BIT) != 0
    }

    /// Whether the write side of `sem` is free, checked by taking it.
    ///
    /// # Safety
    ///
    /// `sem` must point to a valid, initialised `rw_semaphore`.
    unsafe fn write_lockable(sem: *mut bindings::rw_semaphore) -> bool {
        // SAFETY: By the safety requirements `sem` is a valid rwsem, and the trylock does not
        // sleep.
        if unsafe { bindings::down_write_trylock(sem) } == 0 {
            return false;
        }
        // SAFETY: We just took the write lock.
        unsafe { bindings::up_write(sem) };
        true
    }

    const RW: u32 = bindings::PROT_READ | bindings::PROT_WRITE;
    const ANON: u32 = bindings::MAP_PRIVATE | bindings::MAP_ANONYMOUS;

    #[test]
    fn flags_have_their_c_values() {
        assert_eq!(flags::NONE, 0);
        assert_eq!(flags::READ, 0x1);
        assert_eq!(flags::WRITE, 0x2);
        assert_eq!(flags::EXEC, 0x4);
        assert_eq!(flags::SHARED, 0x8);
        assert_eq!(flags::MAYREAD, 0x10);
        assert_eq!(flags::MAYWRITE, 0x20);
        assert_eq!(flags::MAYEXEC, 0x40);
        assert_eq!(flags::MAYSHARE, 0x80);
        assert_eq!(flags::PFNMAP, 0x400);
        assert_eq!(flags::IO, 0x4000);
        assert_eq!(flags::DONTCOPY, 0x20000);
        assert_eq!(flags::DONTEXPAND, 0x40000);
        assert_eq!(flags::LOCKONFAULT, 0x80000);
        assert_eq!(flags::ACCOUNT, 0x100000);
        assert_eq!(flags::NORESERVE, 0x200000);
        assert_eq!(flags::HUGETLB, 0x400000);
        assert_eq!(flags::SYNC, 0x800000);
        assert_eq!(flags::ARCH_1, 0x1000000);
        assert_eq!(flags::WIPEONFORK, 0x2000000);
        assert_eq!(flags::DONTDUMP, 0x4000000);
        let softdirty = if cfg!(CONFIG_MEM_SOFT_DIRTY) {
            0x8000000
        } else {
            0
        };
        assert_eq!(flags::SOFTDIRTY, softdirty);
        assert_eq!(flags::MIXEDMAP, 0x10000000);
        assert_eq!(flags::HUGEPAGE, 0x20000000);
        assert_eq!(flags::NOHUGEPAGE, 0x40000000);
        // An expression in C (`BIT(31)`), which bindgen does not evaluate by itself.
        assert_eq!(flags::MERGEABLE, 1 << 31);
    }

    #[test]
    fn current_mm_appears_with_the_first_mapping() -> Result {
        // A KUnit test runs in a kernel thread, which has no address space.
        assert!(current!().mm().is_none());
        let addr = mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        let task = current!();
        let mm = task.mm().ok_or(ESRCH)?;
        // SAFETY: `get_current()` returns the running task, which is valid while it runs. Its `mm`
        // is only ever written by the task itself (here, by `kthread_use_mm()` in the first
        // `kunit_vm_mmap()` above, on this very thread), so this read cannot race with a write.
        let raw = unsafe { (*bindings::get_current()).mm };
        assert!(ptr::eq(mm.as_raw(), raw));
        let guard = mm.mmap_read_lock();
        let vma_mm = guard.vma_lookup(addr).ok_or(EINVAL)?.mm().as_raw();
        drop(guard);
        assert!(ptr::eq(vma_mm, raw));
        Ok(())
    }

    #[test]
    fn vma_lookup_finds_exact_bounds() -> Result {
        let addr = mmap(None, 4 * PAGE_SIZE, RW, ANON, 0)?;
        // Punch a hole at the last page, so that something is known to be unmapped.
        munmap(addr + 3 * PAGE_SIZE, PAGE_SIZE)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let mut bounds = [(0, 0); 3];
        for (b, a) in bounds
            .iter_mut()
            .zip([addr, addr + PAGE_SIZE + 17, addr + 3 * PAGE_SIZE - 1])
        {
            let vma = guard.vma_lookup(a).ok_or(EINVAL)?;
            *b = (vma.start(), vma.end());
        }
        let none = [addr + 3 * PAGE_SIZE, addr + 4 * PAGE_SIZE - 1, 0]
            .map(|a| guard.vma_lookup(a).is_none());
        drop(guard);
        for b in bounds {
            assert!(b == (addr, addr + 3 * PAGE_SIZE));
        }
        assert!(none == [true; 3]);
        Ok(())
    }

    #[test]
    fn vma_flags_follow_prot_and_sharing() -> Result {
        let ro = mmap(None, PAGE_SIZE, bindings::PROT_READ, ANON, 0)?;
        let shared = bindings::MAP_SHARED | bindings::MAP_ANONYMOUS;
        let sh = mmap(None, PAGE_SIZE, RW, shared, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let f_ro = guard.vma_lookup(ro).ok_or(EINVAL)?.flags();
        let f_sh = guard.vma_lookup(sh).ok_or(EINVAL)?.flags();
        drop(guard);
        let mask = flags::READ | flags::WRITE | flags::EXEC | flags::SHARED | flags::MAYSHARE;
        assert_eq!(f_ro & mask, flags::READ);
        assert_eq!(f_ro & flags::MAYWRITE, flags::MAYWRITE);
        let want = flags::READ | flags::WRITE | flags::SHARED | flags::MAYSHARE;
        assert_eq!(f_sh & mask, want);
        Ok(())
    }

    #[test]
    fn mmap_read_lock_excludes_writers_until_dropped() -> Result {
        mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        let mm = current_mm()?;
        // SAFETY: `mm` is valid; `mmap_lock` is its mmap lock.
        let sem = unsafe { ptr::addr_of_mut!((*mm.as_raw()).__bindgen_anon_1.mmap_lock) };
        // SAFETY: `sem` is the mmap lock of `mm`, which is alive until the end of the test.
        let lockable = || unsafe { write_lockable(sem) };
        let before = lockable();
        let guard = mm.mmap_read_lock();
        let locked = lockable();
        // A second reader is fine.
        let second = mm.mmap_read_trylock();
        let second_ok = second.is_some();
        drop(second);
        let still_locked = lockable();
        drop(guard);
        let after = lockable();
        assert!(
            [before, locked, second_ok, still_locked, after] == [true, false, true, false, true]
        );
        Ok(())
    }

    #[test]
    fn mmap_read_trylock_fails_under_the_write_lock() -> Result {
        mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        let mm = current_mm()?;
        // SAFETY: `mm` is valid; `mmap_lock` is its mmap lock.
        let sem = unsafe { ptr::addr_of_mut!((*mm.as_raw()).__bindgen_anon_1.mmap_lock) };
        // SAFETY: `sem` is valid, and the trylock does not sleep.
        assert_eq!(unsafe { bindings::down_write_trylock(sem) }, 1);
        let got = mm.mmap_read_trylock().is_some();
        // SAFETY: We took the write lock above.
        unsafe { bindings::up_write(sem) };
        assert!(!got);
        assert!(mm.mmap_read_trylock().is_some());
        Ok(())
    }

    #[cfg(CONFIG_PER_VMA_LOCK)]
    #[test]
    fn lock_vma_under_rcu_locks_one_vma() -> Result {
        let file = File::new(Hook::Insert, 2)?;
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let hole = mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        munmap(hole, PAGE_SIZE)?;
        let mm = current_mm()?;
        let hole_locked = mm.lock_vma_under_rcu(hole).is_some();
        // Nothing else uses the test's mm, so the trylock of `lock_vma_under_rcu` cannot fail.
        let vma = mm.lock_vma_under_rcu(addr + PAGE_SIZE).ok_or(EAGAIN)?;
        let seen = (vma.start(), vma.end(), vma.as_mixedmap_vma().is_some());
        // SAFETY: The vma is read-locked, so it and its `vm_lock` are valid. They stay valid after
        // `drop(vma)` below: only this thread uses the test's mm, and it unmaps nothing until
        // `sem` is no longer used.
        let sem = unsafe { ptr::addr_of_mut!((*(*vma.as_ptr()).vm_lock).lock) };
        // SAFETY: As above, `sem` is valid until the end of the test.
        let lockable = || unsafe { write_lockable(sem) };
        let held = lockable();
        drop(vma);
        let released = lockable();
        assert!(seen == (addr, addr + 2 * PAGE_SIZE, true));
        // Write-locking the vma fails while it is read-locked, and works once it is unlocked.
        assert!((held, released) == (false, true));
        assert!(!hole_locked);
        Ok(())
    }

    #[cfg(not(CONFIG_PER_VMA_LOCK))]
    #[test]
    fn lock_vma_under_rcu_without_per_vma_locks() -> Result {
        let file = File::new(Hook::Insert, 1)?;
        let addr = mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let mm = current_mm()?;
        // As the C stub does, it always fails, even on a mapped address.
        let locked = mm.lock_vma_under_rcu(addr).is_some();
        // SAFETY: `mm` is valid; `mmap_lock` is its mmap lock.
        let sem = unsafe { ptr::addr_of_mut!((*mm.as_raw()).__bindgen_anon_1.mmap_lock) };
        // SAFETY: `sem` is the mmap lock of `mm`, which is alive until the end of the test.
        let mmap_lock_free = unsafe { write_lockable(sem) };
        // The vma is still there, for the mmap lock.
        let guard = mm.mmap_read_lock();
        let found = guard.vma_lookup(addr).map(|vma| vma.start());
        drop(guard);
        assert!(!locked);
        // Nothing was left locked.
        assert!(mmap_lock_free);
        assert!(found == Some(addr));
        Ok(())
    }

    #[test]
    fn mmap_hook_gets_a_vma_new() -> Result {
        let file = File::new(Hook::Insert, 4)?;
        let addr = mmap(Some(&file), 3 * PAGE_SIZE, RW, bindings::MAP_SHARED, 1)?;
        let tf = &file.tf;
        assert_eq!(tf.calls.get(), 1);
        assert!(tf.prot.get() == (true, true, false));
        let before = tf.flags_before.get();
        assert_eq!(before & flags::MIXEDMAP, 0);
        // The hook cleared `VM_MAYEXEC`, which the vma had on the way in.
        assert_eq!(before & flags::MAYEXEC, flags::MAYEXEC);
        let set =
            flags::MIXEDMAP | flags::DONTCOPY | flags::DONTEXPAND | flags::DONTDUMP | flags::IO;
        assert_eq!(tf.flags_after.get(), (before | set) & !flags::MAYEXEC);
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let now = guard.vma_lookup(addr).ok_or(EINVAL)?.flags();
        drop(guard);
        // `mmap_region()` may add `VM_SOFTDIRTY` after the hook, nothing else.
        assert_eq!(now & !flags::SOFTDIRTY, tf.flags_after.get());
        // The hook inserted pages 1, 2 and 3 of the file, filled with 2, 3 and 4.
        assert!(read_pages(addr, 3)?[..] == [2, 3, 4]);
        Ok(())
    }

    #[test]
    fn mmap_hook_error_fails_the_mmap() -> Result {
        let file = File::new(Hook::Fail, 1)?;
        let r = mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0);
        assert_eq!(
            r.err().map(|e| e.to_errno()),
            Some(-(bindings::ENXIO as c_int))
        );
        assert_eq!(file.tf.calls.get(), 1);
        Ok(())
    }

    #[test]
    fn try_clear_rules_on_a_read_write_vma() -> Result {
        let file = File::new(Hook::ClearRules, 1)?;
        mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let tf = &file.tf;
        let einval = -(bindings::EINVAL as c_int);
        // Readable and writable: MAYREAD and MAYWRITE stay; not executable: MAYEXEC goes.
        assert!(tf.clear.get() == [einval, einval, 0]);
        let before = tf.flags_before.get();
        let may = flags::MAYREAD | flags::MAYWRITE | flags::MAYEXEC;
        assert_eq!(before & may, may);
        assert_eq!(tf.flags_after.get(), before & !flags::MAYEXEC);
        Ok(())
    }

    #[test]
    fn try_clear_rules_on_a_read_only_vma() -> Result {
        let file = File::new(Hook::ClearRules, 1)?;
        let addr = mmap(
            Some(&file),
            PAGE_SIZE,
            bindings::PROT_READ,
            bindings::MAP_SHARED,
            0,
        )?;
        let tf = &file.tf;
        assert!(tf.prot.get() == (true, false, false));
        let einval = -(bindings::EINVAL as c_int);
        assert!(tf.clear.get() == [einval, 0, 0]);
        let before = tf.flags_before.get();
        assert_eq!(before & flags::MAYWRITE, flags::MAYWRITE);
        assert_eq!(before & flags::MAYEXEC, flags::MAYEXEC);
        assert_eq!(
            tf.flags_after.get(),
            before & !(flags::MAYWRITE | flags::MAYEXEC)
        );
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let now = guard.vma_lookup(addr).ok_or(EINVAL)?.flags();
        drop(guard);
        assert_eq!(now & flags::MAYWRITE, 0);
        Ok(())
    }

    #[test]
    fn try_clear_rules_on_an_executable_vma() -> Result {
        let file = File::new(Hook::ClearRules, 1)?;
        let prot = bindings::PROT_READ | bindings::PROT_EXEC;
        let addr = mmap(Some(&file), PAGE_SIZE, prot, bindings::MAP_SHARED, 0)?;
        let tf = &file.tf;
        assert!(tf.prot.get() == (true, false, true));
        let einval = -(bindings::EINVAL as c_int);
        // Executable: `VM_MAYEXEC` stays (`EINVAL`); not writable: `VM_MAYWRITE` goes.
        assert!(tf.clear.get() == [einval, 0, einval]);
        let before = tf.flags_before.get();
        assert_eq!(before & flags::EXEC, flags::EXEC);
        assert_eq!(before & flags::MAYEXEC, flags::MAYEXEC);
        assert_eq!(tf.flags_after.get(), before & !flags::MAYWRITE);
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let now = guard.vma_lookup(addr).ok_or(EINVAL)?.flags();
        drop(guard);
        assert_eq!(
            now & (flags::EXEC | flags::MAYEXEC),
            flags::EXEC | flags::MAYEXEC
        );
        Ok(())
    }

    #[test]
    fn try_clear_mayread_on_a_prot_none_vma() -> Result {
        let file = File::new(Hook::ClearRules, 1)?;
        mmap(
            Some(&file),
            PAGE_SIZE,
            bindings::PROT_NONE,
            bindings::MAP_SHARED,
            0,
        )?;
        let tf = &file.tf;
        assert!(tf.prot.get() == (false, false, false));
        assert!(tf.clear.get() == [0, 0, 0]);
        let gone = flags::MAYREAD | flags::MAYWRITE | flags::MAYEXEC;
        assert_eq!(tf.flags_before.get() & gone, gone);
        assert_eq!(tf.flags_after.get(), tf.flags_before.get() & !gone);
        Ok(())
    }

    #[test]
    fn as_mixedmap_vma_only_with_vm_mixedmap() -> Result {
        let file = File::new(Hook::Insert, 1)?;
        let mixed = mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let anon = mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(mixed).ok_or(EINVAL)?;
        let same = vma
            .as_mixedmap_vma()
            .map(|m| ptr::eq(m.as_ptr(), vma.as_ptr()));
        let anon_mixed = guard
            .vma_lookup(anon)
            .ok_or(EINVAL)?
            .as_mixedmap_vma()
            .is_some();
        drop(guard);
        assert!(same == Some(true));
        assert!(!anon_mixed);
        Ok(())
    }

    #[test]
    fn zap_in_bounds_removes_the_pages() -> Result {
        let file = File::new(Hook::Insert, 4)?;
        let addr = mmap(Some(&file), 4 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        assert!(read_pages(addr, 4)?[..] == [1, 2, 3, 4]);
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        guard
            .vma_lookup(addr)
            .ok_or(EINVAL)?
            .zap_vma_range(addr + PAGE_SIZE, 2 * PAGE_SIZE);
        drop(guard);
        // A VM_MIXEDMAP vma without a fault handler: touching a zapped page fails.
        assert!(read_pages(addr, 1)?[..] == [1]);
        assert_eq!(read_pages(addr + PAGE_SIZE, 1).err(), Some(EFAULT));
        assert_eq!(read_pages(addr + 2 * PAGE_SIZE, 1).err(), Some(EFAULT));
        assert!(read_pages(addr + 3 * PAGE_SIZE, 1)?[..] == [4]);
        Ok(())
    }

    #[test]
    fn zap_partly_or_wholly_outside_does_nothing() -> Result {
        let file = File::new(Hook::Insert, 2)?;
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(addr).ok_or(EINVAL)?;
        // Both names of the operation: mainline 7.1's and that of 6.16 to 7.0.
        let zaps: [fn(&VmaRef, usize, usize); 2] =
            [VmaRef::zap_vma_range, VmaRef::zap_page_range_single];
        for zap in zaps {
            // Runs past the end.
            zap(vma, addr + PAGE_SIZE, 2 * PAGE_SIZE);
            // Starts before the start.
            zap(vma, addr - PAGE_SIZE, 2 * PAGE_SIZE);
            // Wholly outside, above and below.
            zap(vma, addr + 2 * PAGE_SIZE, PAGE_SIZE);
            zap(vma, addr - 2 * PAGE_SIZE, PAGE_SIZE);
            // Overflows the address space.
            zap(vma, addr, usize::MAX - addr + 1);
        }
        drop(guard);
        assert!(read_pages(addr, 2)?[..] == [1, 2]);
        Ok(())
    }

    #[test]
    fn zap_page_range_single_is_zap_vma_range() -> Result {
        let file = File::new(Hook::Insert, 2)?;
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        guard
            .vma_lookup(addr)
            .ok_or(EINVAL)?
            .zap_page_range_single(addr, PAGE_SIZE);
        drop(guard);
        assert_eq!(read_pages(addr, 1).err(), Some(EFAULT));
        assert!(read_pages(addr + PAGE_SIZE, 1)?[..] == [2]);
        Ok(())
    }

    #[cfg(CONFIG_PER_VMA_LOCK)]
    #[test]
    fn zap_and_insert_under_the_vma_lock() -> Result {
        let file = File::new(Hook::Insert, 2)?;
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        write_byte(addr + PAGE_SIZE, 0xa5)?;
        let mm = current_mm()?;
        // Nothing else uses the test's mm, so the trylock of `lock_vma_under_rcu` cannot fail.
        let vma = mm.lock_vma_under_rcu(addr).ok_or(EAGAIN)?;
        vma.zap_vma_range(addr + PAGE_SIZE, PAGE_SIZE);
        drop(vma);
        assert_eq!(read_pages(addr + PAGE_SIZE, 1).err(), Some(EFAULT));
        let vma = mm.lock_vma_under_rcu(addr + PAGE_SIZE).ok_or(EAGAIN)?;
        let inserted = match vma.as_mixedmap_vma() {
            Some(mixed) => mixed.vm_insert_page(addr + PAGE_SIZE, &file.tf.pages[1]),
            None => Err(EINVAL),
        };
        drop(vma);
        assert!(inserted == Ok(()));
        // The same page is back, with what was written to it.
        assert!(read_pages(addr, 2)?[..] == [1, 0xa5]);
        Ok(())
    }

    #[test]
    fn vm_insert_page_brings_back_the_same_page() -> Result {
        let file = File::new(Hook::Insert, 2)?;
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        write_byte(addr + PAGE_SIZE, 0x5a)?;
        let mm = current_mm()?;
        {
            let guard = mm.mmap_read_lock();
            let vma = guard.vma_lookup(addr).ok_or(EINVAL)?;
            vma.zap_page_range_single(addr + PAGE_SIZE, PAGE_SIZE);
        }
        assert_eq!(read_pages(addr + PAGE_SIZE, 1).err(), Some(EFAULT));
        {
            let guard = mm.mmap_read_lock();
            let vma = mixedmap_vma(&guard, addr)?;
            vma.vm_insert_page(addr + PAGE_SIZE, &file.tf.pages[1])?;
            // Mapped already, and outside the vma.
            let busy = vma.vm_insert_page(addr, &file.tf.pages[0]).err();
            let outside = vma
                .vm_insert_page(addr + 2 * PAGE_SIZE, &file.tf.pages[0])
                .err();
            drop(guard);
            assert!((busy, outside) == (Some(EBUSY), Some(EFAULT)));
        }
        // The write went to the file's page, so it is still there.
        assert!(read_pages(addr, 2)?[..] == [1, 0x5a]);
        Ok(())
    }

    /// More pages than `vm_insert_pages` passes to C at once.
    const BATCH: usize = INSERT_PAGES_CHUNK + 8;

    #[test]
    fn vm_insert_pages_brings_back_every_page() -> Result {
        let file = File::new(Hook::Insert, BATCH)?;
        let addr = mmap(Some(&file), BATCH * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        write_byte(addr + 33 * PAGE_SIZE, 0x5a)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let vma = mixedmap_vma(&guard, addr)?;
        vma.zap_vma_range(addr, BATCH * PAGE_SIZE);
        let none = vma.vm_insert_pages(addr, &[]);
        let all = vma.vm_insert_pages(addr, &file.tf.pages);
        drop(guard);
        assert_eq!(none, Ok(()));
        assert_eq!(all, Ok(()));
        // The same pages, in order, with what was written to them.
        let seen = read_pages(addr, BATCH)?;
        for (i, b) in seen.iter().enumerate() {
            assert_eq!(*b, if i == 33 { 0x5a } else { i as u8 + 1 });
        }
        Ok(())
    }

    #[test]
    fn vm_insert_pages_stops_at_the_first_mapped_page() -> Result {
        let file = File::new(Hook::Insert, BATCH)?;
        let addr = mmap(Some(&file), BATCH * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let mm = current_mm()?;
        // The page still mapped is early and late in the first chunk passed to C (in its first
        // and a later batch of 8 under one lock), at the start of the second chunk (where C
        // inserts nothing) and inside it.
        let chunk = INSERT_PAGES_CHUNK;
        for busy in [2, 10, chunk - 1, chunk, chunk + 3] {
            let guard = mm.mmap_read_lock();
            let vma = mixedmap_vma(&guard, addr)?;
            vma.zap_vma_range(addr, BATCH * PAGE_SIZE);
            vma.vm_insert_page(addr + busy * PAGE_SIZE, &file.tf.pages[busy])?;
            let r = vma.vm_insert_pages(addr, &file.tf.pages);
            drop(guard);
            assert_eq!(
                r,
                Err(InsertPagesError {
                    inserted: busy,
                    error: EBUSY
                })
            );
            // The pages before it went in, it is untouched, the ones after it are not mapped.
            for i in 0..=busy {
                assert!(read_pages(addr + i * PAGE_SIZE, 1)?[..] == [i as u8 + 1]);
            }
            assert_eq!(
                read_pages(addr + (busy + 1) * PAGE_SIZE, 1).err(),
                Some(EFAULT)
            );
            assert_eq!(
                read_pages(addr + (BATCH - 1) * PAGE_SIZE, 1).err(),
                Some(EFAULT)
            );
        }
        Ok(())
    }

    #[test]
    fn vm_insert_pages_outside_the_vma_inserts_nothing() -> Result {
        let file = File::new(Hook::Insert, BATCH)?;
        // A vma into which the first chunk of pointers fits, and the rest does not.
        let len = INSERT_PAGES_CHUNK + 4;
        let addr = mmap(Some(&file), len * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let vma = mixedmap_vma(&guard, addr)?;
        vma.zap_vma_range(addr, len * PAGE_SIZE);
        let nothing = Err(InsertPagesError {
            inserted: 0,
            error: EFAULT,
        });
        // Runs past the end, starts before the start, and wraps around the address space.
        let past = vma.vm_insert_pages(addr, &file.tf.pages);
        let before = vma.vm_insert_pages(addr - PAGE_SIZE, &file.tf.pages[..2]);
        let wraps = vma.vm_insert_pages(usize::MAX & !(PAGE_SIZE - 1), &file.tf.pages[..2]);
        let unaligned = vma.vm_insert_pages(addr + 1, &file.tf.pages[..1]);
        drop(guard);
        assert_eq!(past, nothing);
        assert_eq!(before, nothing);
        assert_eq!(wraps, nothing);
        assert_eq!(
            unaligned,
            Err(InsertPagesError {
                inserted: 0,
                error: EINVAL
            })
        );
        for i in 0..len {
            assert_eq!(read_pages(addr + i * PAGE_SIZE, 1).err(), Some(EFAULT));
        }
        // The error converts into the `Error` it carries, so `?` works on it.
        assert_eq!(Error::from(past.unwrap_err()), EFAULT);
        Ok(())
    }

    #[test]
    fn vm_ops_give_each_vma_its_reference() -> Result {
        let file = File::new(Hook::Ops, 4)?;
        let count = &file.tf.ops;
        let addr = mmap(Some(&file), 4 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let after_mmap = count.get();
        // Unmapping the middle splits the vma twice (two copies opened) and closes the middle.
        munmap(addr + PAGE_SIZE, 2 * PAGE_SIZE)?;
        let after_split = count.get();
        munmap(addr, 4 * PAGE_SIZE)?;
        let after_munmap = count.get();
        assert_eq!(after_mmap, (1, 0, 0));
        assert_eq!(after_split, (2, 2, 1));
        assert_eq!(after_munmap, (0, 2, 3));
        Ok(())
    }

    #[test]
    fn vm_ops_vmas_are_never_merged() -> Result {
        let file = File::new(Hook::OpsOnly, 2)?;
        // Two adjacent mappings of consecutive pages, with the same flags: the mm core would
        // merge the second into the first, freeing it without `close`, but for `VM_DONTEXPAND`.
        let addr = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        munmap(addr + PAGE_SIZE, PAGE_SIZE)?;
        let again = mmap_fixed(&file, addr + PAGE_SIZE, PAGE_SIZE, 1)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let first = guard.vma_lookup(addr).map(|v| (v.start(), v.end()));
        let dontexpand = guard
            .vma_lookup(addr)
            .map(|v| v.flags() & flags::DONTEXPAND != 0);
        drop(guard);
        let two = file.tf.ops.get();
        munmap(addr, 2 * PAGE_SIZE)?;
        assert_eq!(again, addr + PAGE_SIZE);
        assert_eq!(first, Some((addr, addr + PAGE_SIZE)));
        assert_eq!(dontexpand, Some(true));
        // The split by the munmap opened one, closed one; the new mapping is a vma of its own.
        assert_eq!(two, (2, 1, 1));
        assert_eq!(file.tf.ops.get(), (0, 1, 3));
        Ok(())
    }

    #[test]
    fn vm_ops_failed_mmap_closes_the_vma() -> Result {
        let file = File::new(Hook::OpsThenFail, 2)?;
        let r = mmap(Some(&file), 2 * PAGE_SIZE, RW, bindings::MAP_SHARED, 0);
        assert_eq!(r.err(), Some(ENXIO));
        // Counted by the hook, closed by the failure: nothing is left holding the data.
        assert_eq!(file.tf.ops.get(), (0, 0, 1));
        Ok(())
    }

    #[test]
    fn vm_ops_second_set_is_ebusy() -> Result {
        let file = File::new(Hook::OpsTwice, 1)?;
        let addr = mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        assert_eq!(file.tf.second_set.get(), EBUSY.to_errno());
        munmap(addr, PAGE_SIZE)?;
        assert_eq!(file.tf.ops.get(), (0, 0, 1));
        Ok(())
    }

    #[test]
    fn with_ops_tells_own_vmas_from_foreign_ones() -> Result {
        let own = File::new(Hook::Ops, 2)?;
        let other = File::new(Hook::OtherOps, 2)?;
        let plain = File::new(Hook::Insert, 2)?;
        let len = 2 * PAGE_SIZE;
        let a = mmap(Some(&own), len, RW, bindings::MAP_SHARED, 0)?;
        let b = mmap(Some(&other), len, RW, bindings::MAP_SHARED, 0)?;
        let c = mmap(Some(&plain), len, RW, bindings::MAP_SHARED, 0)?;
        let d = mmap(None, len, RW, ANON, 0)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let mut seen = [(false, false); 4];
        for (i, addr) in [a, b, c, d].into_iter().enumerate() {
            let vma = guard.vma_lookup(addr).ok_or(EINVAL)?;
            seen[i] = (
                vma.with_ops::<TestOps>().is_some(),
                vma.with_ops::<OtherOps>().is_some(),
            );
        }
        // The handle's data is the file's, and zapping through it reaches only its vma.
        let vma = guard.vma_lookup(a).ok_or(EINVAL)?;
        let mine = vma.with_ops::<TestOps>().ok_or(EINVAL)?;
        let same = ptr::eq(&*mine.data(), &*own.tf.ops);
        mine.zap_vma_range(a, PAGE_SIZE);
        drop(guard);
        assert!(seen == [(true, false), (false, true), (false, false), (false, false)]);
        assert!(same);
        assert_eq!(read_pages(a, 1).err(), Some(EFAULT));
        assert!(read_pages(a + PAGE_SIZE, 1)?[..] == [2]);
        assert!(read_pages(b, 1)?[..] == [1]);
        Ok(())
    }

    #[test]
    fn pgoff_is_the_offset_of_the_mapping() -> Result {
        let file = File::new(Hook::Insert, 8)?;
        let addr = mmap(Some(&file), 4 * PAGE_SIZE, RW, bindings::MAP_SHARED, 2)?;
        munmap(addr + PAGE_SIZE, PAGE_SIZE)?;
        let mm = current_mm()?;
        let guard = mm.mmap_read_lock();
        let first = guard.vma_lookup(addr).map(|v| v.pgoff());
        let rest = guard.vma_lookup(addr + 2 * PAGE_SIZE).map(|v| v.pgoff());
        drop(guard);
        assert_eq!(first, Some(2));
        assert_eq!(rest, Some(4));
        Ok(())
    }

    #[test]
    fn from_raw_views_see_the_same_objects() -> Result {
        let file = File::new(Hook::Insert, 1)?;
        let addr = mmap(Some(&file), PAGE_SIZE, RW, bindings::MAP_SHARED, 0)?;
        let user = current_mm()?;
        let raw = user.as_raw();
        // SAFETY: `user` holds an `mmget` reference until the end of the test, which covers both
        // the `mmgrab`-level and the `mmget`-level requirements.
        let (mm, with_user) = unsafe { (Mm::from_raw(raw), MmWithUser::from_raw(raw)) };
        let guard = with_user.mmap_read_lock();
        let vma = guard.vma_lookup(addr).ok_or(EINVAL)?;
        // SAFETY: `vma` is valid and the mmap read lock is held while these views are used; the
        // vma was given `VM_MIXEDMAP` by the mmap hook.
        let (r, m) = unsafe {
            (
                VmaRef::from_raw(vma.as_ptr()),
                VmaMixedMap::from_raw(vma.as_ptr()),
            )
        };
        let seen = (
            ptr::eq(mm.as_raw(), raw),
            (r.start(), r.end()),
            ptr::eq(m.as_ptr(), vma.as_ptr()),
            m.flags() & flags::MIXEDMAP,
        );
        drop(guard);
        assert!(seen == (true, (addr, addr + PAGE_SIZE), true, flags::MIXEDMAP));
        Ok(())
    }

    #[test]
    fn mmget_not_zero_on_a_live_mm() -> Result {
        mmap(None, PAGE_SIZE, RW, ANON, 0)?;
        let task = current!();
        let mm = task.mm().ok_or(ESRCH)?;
        let users = mm_users(mm);
        let user = mm.mmget_not_zero().ok_or(EINVAL)?;
        assert_eq!(mm_users(mm), users + 1);
        let again = user.clone();
        assert_eq!(mm_users(mm), users + 2);
        drop(user);
        drop(again);
        assert_eq!(mm_users(mm), users);
        Ok(())
    }

    /// A new address space, not attached to any task, and its only user reference.
    fn new_mm() -> Result<ARef<MmWithUser>> {
        // SAFETY: `mm_alloc` has no preconditions.
        let raw = ptr::NonNull::new(unsafe { bindings::mm_alloc() }).ok_or(ENOMEM)?;
        // SAFETY: `mm_alloc` returned an mm with `mm_users == 1`, which we own.
        Ok(unsafe { ARef::from_raw(raw.cast()) })
    }

    #[test]
    fn mmget_not_zero_on_a_dead_mm() -> Result {
        let user = new_mm()?;
        let grab: ARef<Mm> = ARef::from(&**user);
        assert_eq!(mm_users(&grab), 1);
        assert!(grab.mmget_not_zero().is_some());
        drop(user);
        // Only the `mmgrab` reference is left: the address space is gone.
        assert_eq!(mm_users(&grab), 0);
        assert!(grab.mmget_not_zero().is_none());
        Ok(())
    }

    // With `PREEMPT_RT`, a spinlock does not disable preemption, so the worker could run first.
    #[cfg(not(CONFIG_PREEMPT_RT))]
    #[test]
    fn mmput_async_drops_the_last_user() -> Result {
        let user = new_mm()?;
        let grab: ARef<Mm> = ARef::from(&**user);
        let user = MmWithUser::into_mmput_async(user);
        let second = user.clone();
        assert_eq!(mm_users(&grab), 2);
        drop(second);
        assert_eq!(mm_users(&grab), 1);
        // The last reference goes where `mmput()` may not sleep. `mmput_async()` only queues the
        // teardown on this CPU's workqueue, whose worker cannot run before the unlock: the work is
        // still pending then. A plain `mmput()` would tear the mm down right here, in atomic
        // context, and leave no work queued. The work goes to this CPU's `system_wq` pool, whose
        // workers are bound to this CPU.
        let lock = KBox::pin_init(kernel::new_spinlock!(()), GFP_KERNEL)?;
        let guard = lock.lock();
        drop(user);
        let (users, pending) = (mm_users(&grab), async_put_pending(&grab));
        drop(guard);
        assert_eq!(users, 0);
        assert!(pending);
        // SAFETY: `grab` keeps the `mm_struct`, and so its work item, allocated. The work item was
        // initialised by `mmput_async()`, which `pending` shows queued it; `flush_work()` waits
        // for it to finish.
        unsafe {
            bindings::flush_work(ptr::addr_of_mut!(
                (*grab.as_raw()).__bindgen_anon_1.async_put_work
            ))
        };
        assert!(!async_put_pending(&grab));
        assert!(grab.mmget_not_zero().is_none());
        Ok(())
    }
}
