// SPDX-License-Identifier: GPL-2.0

//! Rust misc device sample with an `mmap` hook.
//!
//! This sample registers the misc device `/dev/rust-misc-device`. It shows how a driver written
//! against [`kernel::miscdevice`] and [`kernel::mm`] can map its own memory into userspace and
//! later change that mapping from an ioctl without trusting userspace.
//!
//! Each open file owns a buffer of `pages` pages (module parameter, 16 by default) that is
//! allocated at open time; page `i` is filled with the byte `(i + 1) & 0xff`. The buffer lives as
//! long as the file, so two mappings of the same file share the same pages.
//!
//! # mmap
//!
//! Only `MAP_SHARED` mappings are allowed, at a page-aligned offset, and the mapped range must lie
//! inside the buffer (else `EINVAL`). The mapping can never become executable (`PROT_EXEC` is
//! `EINVAL` and `VM_MAYEXEC` is cleared), a read-only mapping can never become writable
//! (`VM_MAYWRITE` is cleared, so `mprotect(PROT_WRITE)` fails with `EACCES`), it can't be expanded
//! with `mremap()` (`VM_DONTEXPAND`) and it is not inherited by `fork()` (`VM_DONTCOPY`, unless
//! userspace clears it with `madvise(MADV_DOFORK)`). Every page of the range is inserted right
//! away (`VM_MIXEDMAP`), so the mapping never faults: with one `vm_insert_pages` call, or with
//! `vm_insert_page` for each page if the module parameter `per_page` is not 0.
//!
//! # ioctls
//!
//! The user-visible definitions live in
//! [`include/uapi/linux/rust_misc_device.h`](srctree/include/uapi/linux/rust_misc_device.h):
//!
//! * `RUST_MISC_DEV_HELLO`: prints a greeting and returns 0.
//! * `RUST_MISC_DEV_GET_VALUE` and `RUST_MISC_DEV_SET_VALUE`: read and write an `int` that belongs
//!   to the open file (initially 0).
//! * `RUST_MISC_DEV_ZAP`: removes the page table entries of a range of the caller's mapping of the
//!   file; a later access to the range gets `SIGBUS`.
//! * `RUST_MISC_DEV_INSERT`: puts the file's pages back into such a range. They are the same pages,
//!   so earlier writes are still there. A page of the range that is still mapped is `EBUSY`.
//! * `RUST_MISC_DEV_GET_MAPPINGS`: the number of VMAs that map this open file, in any process.
//!
//! The state of an open file is shared by the file and by every VMA that maps it, through the
//! [`VmOperations`] of the sample: it lives until the file is closed and its last mapping is gone,
//! whichever comes last.
//!
//! # Why ZAP and INSERT check that the VMA maps this file
//!
//! The range passed to ZAP and INSERT is looked up in the caller's own address space at the time
//! of the ioctl, never in one remembered from an earlier `mmap`, and the VMA found there is only
//! used if it is a mapping of this very file. Otherwise, after a `munmap()` and a new mapping at
//! the same address (anonymous memory, or a mapping of another open file of this device), the
//! driver would zap or fill memory it does not own. Trusting a VMA that was looked up by address
//! is a known real-world bug class: mainline's Binder had a CVE for exactly this, fixed by marking
//! its own VMAs at `mmap` time and checking the mark before every insert or zap. Here the mark is
//! the sample's operations table, which its `mmap` hook installs with [`VmaNew::set_vm_ops`]: only
//! a VMA that has it is seen through [`with_ops`], and its data says which open file it maps. The
//! VMAs the mm core makes from one (split off, moved by `mremap()`, copied by `fork()`) have the
//! same table and data.
//!
//! [`with_ops`]: kernel::mm::virt::VmaRef::with_ops

use core::{
    mem::size_of,
    ptr,
    sync::atomic::{AtomicI32, Ordering},
};

use kernel::{
    c_str,
    fs::File,
    ioctl::{_IO, _IOR, _IOW},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::{
        flags as vm_flags,
        ops::{VmOperations, VmOperationsTable, VmaSpan, VmaWithOps},
        VmaMixedMap, VmaNew,
    },
    new_mutex,
    page::{Page, PAGE_SIZE},
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex},
    types::FromBytes,
    uaccess::UserSlice,
};

/// The ioctl magic number, `'|'`.
const RUST_MISC_DEV_IOC_MAGIC: u32 = b'|' as u32;

// These match the definitions in `include/uapi/linux/rust_misc_device.h`.
const RUST_MISC_DEV_HELLO: u32 = _IO(RUST_MISC_DEV_IOC_MAGIC, 0x80);
const RUST_MISC_DEV_GET_VALUE: u32 = _IOR::<i32>(RUST_MISC_DEV_IOC_MAGIC, 0x81);
const RUST_MISC_DEV_SET_VALUE: u32 = _IOW::<i32>(RUST_MISC_DEV_IOC_MAGIC, 0x82);
const RUST_MISC_DEV_ZAP: u32 = _IOW::<RustMiscDevRange>(RUST_MISC_DEV_IOC_MAGIC, 0x83);
const RUST_MISC_DEV_INSERT: u32 = _IOW::<RustMiscDevRange>(RUST_MISC_DEV_IOC_MAGIC, 0x84);
const RUST_MISC_DEV_GET_MAPPINGS: u32 = _IOR::<i32>(RUST_MISC_DEV_IOC_MAGIC, 0x85);

module! {
    type: RustMiscDeviceModule,
    name: "rust_misc_device",
    author: "Rust for Linux Contributors",
    description: "Rust misc device sample with an mmap hook",
    license: "GPL",
    params: {
        pages: u32 {
            default: 16,
            description: "Number of pages in the buffer of each open file",
        },
        per_page: u32 {
            default: 0,
            description: "Insert pages one vm_insert_page() at a time (not 0), or in batches (0)",
        },
    },
}

/// `struct rust_misc_dev_range` of the UAPI header: a range of the caller's mapping of the file.
#[repr(C)]
#[derive(Clone, Copy)]
struct RustMiscDevRange {
    /// Start address, page-aligned.
    addr: u64,
    /// Length in bytes, page-aligned and not zero.
    len: u64,
}

// SAFETY: `RustMiscDevRange` is made of two `u64`, for which every bit pattern is valid, and it
// has no padding and no interior mutability.
unsafe impl FromBytes for RustMiscDevRange {}

impl RustMiscDevRange {
    /// Reads a range from the userspace pointer `arg`.
    fn read_from_user(arg: usize) -> Result<Self> {
        UserSlice::new(arg, size_of::<Self>())
            .reader()
            .read::<Self>()
    }

    /// Returns the start and the (exclusive) end address of the range.
    ///
    /// Fails with [`EINVAL`] unless the range is page-aligned, not empty and does not overflow.
    fn bounds(&self) -> Result<(usize, usize)> {
        let addr = usize::try_from(self.addr).map_err(|_| EINVAL)?;
        let len = usize::try_from(self.len).map_err(|_| EINVAL)?;
        if len == 0 || addr % PAGE_SIZE != 0 || len % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        let end = addr.checked_add(len).ok_or(EINVAL)?;
        Ok((addr, end))
    }
}

struct RustMiscDeviceModule {
    _miscdev: Pin<KBox<MiscDeviceRegistration<RustMiscDevice>>>,
}

impl kernel::Module for RustMiscDeviceModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("Initialising Rust misc device sample\n");
        if *module_parameters::per_page.value() != 0 {
            pr_info!("inserting pages one at a time\n");
        }

        let options = MiscDeviceOptions {
            name: c_str!("rust-misc-device"),
        };

        Ok(Self {
            _miscdev: KBox::pin_init(MiscDeviceRegistration::register(options), GFP_KERNEL)?,
        })
    }
}

/// The state of one open file of the device, shared by the file and its VMAs.
#[pin_data]
struct RustMiscDevice {
    /// The buffer; page `i` is mapped at file offset `i * PAGE_SIZE`.
    pages: KVec<Page>,
    /// The value of `RUST_MISC_DEV_GET_VALUE` and `RUST_MISC_DEV_SET_VALUE`.
    #[pin]
    value: Mutex<i32>,
    /// The number of VMAs that map the file: `RUST_MISC_DEV_GET_MAPPINGS`.
    mappings: AtomicI32,
}

/// The operations of the VMAs of the device: they count them.
struct RustMiscDeviceVmOps;

static RUST_MISC_DEVICE_VM_OPS: VmOperationsTable<RustMiscDeviceVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for RustMiscDeviceVmOps {
    type Data = RustMiscDevice;
    const TABLE: &'static VmOperationsTable<Self> = &RUST_MISC_DEVICE_VM_OPS;

    fn open(me: ArcBorrow<'_, RustMiscDevice>, _vma: VmaSpan) {
        me.mappings.fetch_add(1, Ordering::Relaxed);
    }

    fn close(me: ArcBorrow<'_, RustMiscDevice>, _vma: VmaSpan) {
        me.mappings.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Allocates a page filled with `byte`.
fn alloc_filled_page(byte: u8) -> Result<Page> {
    let page = Page::alloc_page(GFP_KERNEL)?;
    let chunk = [byte; 64];
    for offset in (0..PAGE_SIZE).step_by(chunk.len()) {
        // SAFETY: `chunk` is valid for reading `chunk.len()` bytes, and nothing else can access
        // the page, which we just allocated and have not shared with anyone.
        unsafe { page.write_raw(chunk.as_ptr(), offset, chunk.len())? };
    }
    Ok(page)
}

#[vtable]
impl MiscDevice for RustMiscDevice {
    type Ptr = Arc<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Self>> {
        let count = usize::try_from(*module_parameters::pages.value())?;
        let mut pages = KVec::with_capacity(count, GFP_KERNEL)?;
        for i in 0..count {
            // Page `i` holds the byte `(i + 1) & 0xff`; the cast keeps exactly those low 8 bits.
            pages.push(alloc_filled_page((i + 1) as u8)?, GFP_KERNEL)?;
        }

        Arc::pin_init(
            try_pin_init!(RustMiscDevice {
                pages,
                value <- new_mutex!(0),
                mappings: AtomicI32::new(0),
            }),
            GFP_KERNEL,
        )
    }

    fn mmap(me: ArcBorrow<'_, RustMiscDevice>, _file: &File, vma: &VmaNew) -> Result {
        // A private mapping would copy our pages on write: only allow shared ones. `VM_MAYSHARE`,
        // not `VM_SHARED`: the kernel clears `VM_SHARED` on a `MAP_SHARED` mapping of a file that
        // is not open for writing.
        if vma.flags() & vm_flags::MAYSHARE == 0 {
            return Err(EINVAL);
        }

        // Fails with `EINVAL` if `PROT_EXEC` was requested.
        vma.try_clear_mayexec()?;
        if !vma.writable() {
            vma.try_clear_maywrite()?;
        }
        vma.set_dontexpand();
        vma.set_dontcopy();
        let mixed = vma.set_mixedmap();

        // The whole range must lie inside the buffer (else `EINVAL`). If this fails, the mmap core
        // unmaps the vma, and with it the pages inserted so far.
        me.insert_pages(mixed, mixed.start(), mixed.end())?;

        // The vma is one of ours from here, and holds a reference to the file's state.
        vma.set_vm_ops::<RustMiscDeviceVmOps>(me.into())?;
        me.mappings.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn ioctl(
        me: ArcBorrow<'_, RustMiscDevice>,
        _file: &File,
        cmd: u32,
        arg: usize,
    ) -> Result<isize> {
        match cmd {
            RUST_MISC_DEV_HELLO => {
                pr_info!("Hello from the Rust misc device sample\n");
            }
            RUST_MISC_DEV_GET_VALUE => {
                let value = *me.value.lock();
                UserSlice::new(arg, size_of::<i32>())
                    .writer()
                    .write(&value)?;
            }
            RUST_MISC_DEV_SET_VALUE => {
                let value = UserSlice::new(arg, size_of::<i32>())
                    .reader()
                    .read::<i32>()?;
                *me.value.lock() = value;
            }
            RUST_MISC_DEV_ZAP => me.zap(RustMiscDevRange::read_from_user(arg)?)?,
            RUST_MISC_DEV_INSERT => me.insert(RustMiscDevRange::read_from_user(arg)?)?,
            RUST_MISC_DEV_GET_MAPPINGS => {
                let mappings = me.mappings.load(Ordering::Relaxed);
                UserSlice::new(arg, size_of::<i32>())
                    .writer()
                    .write(&mappings)?;
            }
            _ => return Err(ENOTTY),
        }

        Ok(0)
    }
}

impl RustMiscDevice {
    /// Looks `range` up in the current task's address space and calls `f` with the VMA that
    /// contains it and the bounds of the range, with the mmap read lock held.
    ///
    /// Fails with [`EINVAL`] if `range` is malformed or does not lie inside one VMA that maps
    /// this open file.
    fn with_own_vma(
        &self,
        range: RustMiscDevRange,
        f: impl FnOnce(&VmaWithOps<RustMiscDeviceVmOps>, usize, usize) -> Result,
    ) -> Result {
        let (addr, end) = range.bounds()?;

        // Use the address space of the caller, as it is now. A kernel thread has none.
        let task = current!();
        let mm = task.mm().ok_or(EINVAL)?;
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(addr).ok_or(EINVAL)?;
        if addr < vma.start() || end > vma.end() {
            return Err(EINVAL);
        }
        // One of the device's VMAs, and one of this open file's: not another file's.
        let vma = vma.with_ops::<RustMiscDeviceVmOps>().ok_or(EINVAL)?;
        if !ptr::eq(&*vma.data(), self) {
            return Err(EINVAL);
        }

        f(vma, addr, end)
    }

    /// Handles `RUST_MISC_DEV_ZAP`.
    fn zap(&self, range: RustMiscDevRange) -> Result {
        self.with_own_vma(range, |vma, addr, end| {
            vma.zap_page_range_single(addr, end - addr);
            Ok(())
        })
    }

    /// Handles `RUST_MISC_DEV_INSERT`.
    fn insert(&self, range: RustMiscDevRange) -> Result {
        self.with_own_vma(range, |vma, addr, end| {
            // A vma of this file was set up by our `mmap`, which sets `VM_MIXEDMAP`.
            let vma = vma.as_mixedmap_vma().ok_or(EINVAL)?;
            self.insert_pages(vma, addr, end)
        })
    }

    /// Inserts into `addr..end` of `vma`, a mapping of this file, the buffer's pages that belong
    /// there: the page at `addr` is buffer page `vm_pgoff + (addr - vma.start()) / PAGE_SIZE`.
    ///
    /// `addr..end` is a page-aligned range inside `vma`. Fails with `EINVAL` if the pages run past
    /// the end of the buffer (computed with checked arithmetic, although the mmap core has checked
    /// that `vm_pgoff` plus the length of the vma does not overflow), and with `EBUSY` if a page of
    /// the range is still mapped.
    fn insert_pages(&self, vma: &VmaMixedMap, addr: usize, end: usize) -> Result {
        let first = vma
            .pgoff()
            .checked_add((addr - vma.start()) / PAGE_SIZE)
            .ok_or(EINVAL)?;
        let last = first.checked_add((end - addr) / PAGE_SIZE).ok_or(EINVAL)?;
        let pages = self.pages.get(first..last).ok_or(EINVAL)?;
        if *module_parameters::per_page.value() == 0 {
            // Stops at the first page that cannot be inserted, keeping the ones before it, as the
            // loop below does.
            return Ok(vma.vm_insert_pages(addr, pages)?);
        }
        for (i, page) in pages.iter().enumerate() {
            vma.vm_insert_page(addr + i * PAGE_SIZE, page)?;
        }
        Ok(())
    }
}
