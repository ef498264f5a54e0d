// SPDX-License-Identifier: GPL-2.0

//! Rust Binder-style IPC sample: one copy from the sender straight into pages mapped in the
//! receiver.
//!
//! This sample registers the misc device `/dev/rust-ipc-buffer`. Each open file is a channel with
//! an id. Its receiver maps a read-only buffer of the file; a sender, any open file of the device
//! in any process, sends bytes to a channel id, and the driver copies them once, from the sender's
//! memory into freshly allocated pages, which it inserts into the receiver's mapping from the
//! sender's thread. The receiver takes the message (its offset and length in the mapping), reads
//! the bytes in place, and frees it: the driver zaps its pages from the mapping and releases them.
//!
//! The user-visible definitions live in
//! [`include/uapi/linux/rust_ipc_buffer.h`](srctree/include/uapi/linux/rust_ipc_buffer.h).
//!
//! # mmap
//!
//! One mapping per channel, for the life of the channel (a second is `EBUSY`, even after the
//! first is gone), at offset 0 (else `EINVAL`), of at most `buffer_pages` pages (module
//! parameter, 256 by default; else `EINVAL`). It is read-only and stays so: `PROT_WRITE` is
//! `EPERM`, as in Binder, `VM_MAYWRITE` is cleared, so `mprotect(PROT_WRITE)` fails with
//! `EACCES`; `PROT_EXEC` is `EINVAL`. It is not inherited by `fork()` (`VM_DONTCOPY`, which
//! `VM_IO` makes permanent), and it cannot be moved (`mremap()` fails with `EINVAL`): the driver
//! finds the receiver's pages at the address of the mapping. No page is inserted at mmap time: a
//! page that holds no message reads as `SIGBUS`.
//!
//! # Sending into another process's address space
//!
//! A send runs in the sender's thread, long after the receiver's `mmap`, so the driver cannot use
//! the current task's mm: it keeps the receiver's [`Mm`] from `mmap` (an `mmgrab`, which keeps the
//! `mm_struct` but not the address space alive), and for each send:
//!
//! 1. takes the space for the message in the buffer, under the channel's lock, which it then
//!    drops: it never holds it while taking an mmap lock, because the mmap hook runs with the mmap
//!    write lock held and takes the channel's lock;
//! 2. copies the bytes from the sender's memory into new pages (the one copy);
//! 3. makes sure the receiver's address space is still alive with [`Mm::mmget_not_zero`] (else
//!    `ESRCH`), takes the per-VMA lock of the VMA at the message's address (or, if that fails, the
//!    mmap read lock), and looks the VMA up;
//! 4. uses the VMA only if it is this channel's own mapping ([`VmaRef::with_ops`] and the data of
//!    its operations), covers the whole message, and maps the buffer at the offset the message was
//!    given (else `ESRCH`): after a `munmap()` and a new mapping at that address, the driver would
//!    otherwise write into memory it does not own;
//! 5. inserts the pages, and drops its `mmget` with `mmput_async`: if the receiver has exited
//!    meanwhile, the last reference to its address space must not tear it down in the sender's
//!    thread, with the sender's locks held.
//!
//! A failed send leaves nothing allocated, inserted or queued.
//!
//! [`VmaRef::with_ops`]: kernel::mm::virt::VmaRef::with_ops

use core::{mem::size_of, ptr};

use kernel::{
    c_str, container_of,
    fs::{file::flags::O_NONBLOCK, File, ReleasingFile},
    ioctl::{_IOR, _IOW},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::{
        virt::{
            ops::{VmOperations, VmOperationsTable, VmaSpan},
            VmaNew, VmaRef,
        },
        Mm, MmWithUser,
    },
    new_mutex, new_poll_condvar,
    page::{Page, PAGE_SIZE},
    prelude::*,
    sync::{
        poll::{PollCondVar, PollTable, POLLIN, POLLRDNORM},
        Arc, ArcBorrow, Mutex,
    },
    types::{ARef, AsBytes, FromBytes},
    uaccess::UserSlice,
};

/// The ioctl magic number, `'|'`.
const RUST_IPC_BUFFER_IOC_MAGIC: u32 = b'|' as u32;

// These match the definitions in `include/uapi/linux/rust_ipc_buffer.h`.
const RUST_IPC_BUFFER_GET_ID: u32 = _IOR::<u32>(RUST_IPC_BUFFER_IOC_MAGIC, 0x90);
const RUST_IPC_BUFFER_SEND: u32 = _IOW::<RustIpcSend>(RUST_IPC_BUFFER_IOC_MAGIC, 0x91);
const RUST_IPC_BUFFER_RECV: u32 = _IOR::<RustIpcMsg>(RUST_IPC_BUFFER_IOC_MAGIC, 0x92);
const RUST_IPC_BUFFER_FREE: u32 = _IOW::<u64>(RUST_IPC_BUFFER_IOC_MAGIC, 0x93);

module! {
    type: RustIpcBufferModule,
    name: "rust_ipc_buffer",
    author: "Rust for Linux Contributors",
    description: "Rust Binder-style IPC sample",
    license: "GPL",
    params: {
        buffer_pages: u32 {
            default: 256,
            description: "Largest mapping of a channel, in pages",
        },
    },
}

/// `struct rust_ipc_send` of the UAPI header.
#[repr(C)]
#[derive(Clone, Copy)]
struct RustIpcSend {
    id: u32,
    len: u32,
    data: u64,
}

// SAFETY: Two `u32` and a `u64`, in this order: every bit pattern is valid, and there is no
// padding and no interior mutability.
unsafe impl FromBytes for RustIpcSend {}

/// `struct rust_ipc_msg` of the UAPI header.
#[repr(C)]
#[derive(Clone, Copy)]
struct RustIpcMsg {
    offset: u64,
    len: u64,
}

// SAFETY: Two `u64`: there is no padding, so every byte is initialised.
unsafe impl AsBytes for RustIpcMsg {}

/// A first-fit allocator of page ranges in a buffer of `pages` pages.
///
/// A send that finds the buffer full must not hold the channel's lock for a scan of the whole
/// buffer, and a buffer used as a ring (the receiver frees the oldest message first) must not be
/// scanned from its start on every send: the count of free pages answers the first at once, and
/// the scan starts at `hint`, below which every page is allocated.
///
/// # Invariants
///
/// `starts` has `pages` entries: `starts[i]` is the length of the allocated range that starts at
/// page `i`, or 0 if none does. The ranges lie inside `0..pages` and do not overlap. `free` is the
/// number of pages in none of them. `hint <= pages`, no range starts below `hint` and ends after
/// it, and every page below `hint` is in a range.
struct RangeAllocator {
    starts: KVec<usize>,
    free: usize,
    hint: usize,
}

impl RangeAllocator {
    /// An allocator of `pages` pages, all free.
    fn new(pages: usize) -> Result<Self> {
        // INVARIANT: No range starts anywhere; there is no page below 0.
        Ok(Self {
            starts: KVec::from_elem(0, pages, GFP_KERNEL)?,
            free: pages,
            hint: 0,
        })
    }

    /// Allocates `count` pages, the first free range of that size; returns its first page.
    ///
    /// Fails with [`EINVAL`] if `count` is zero and with [`ENOSPC`] if no free range is large
    /// enough.
    fn alloc(&mut self, count: usize) -> Result<usize> {
        if count == 0 {
            return Err(EINVAL);
        }
        if count > self.free {
            return Err(ENOSPC);
        }
        let pages = self.starts.len();
        // `first` is the start of the free run being looked at, `i` the page after it. Below
        // `hint` there is no free page, and no range crosses it.
        let (mut first, mut i) = (self.hint, self.hint);
        while i < pages && i - first < count {
            match self.starts[i] {
                0 => i += 1,
                len => {
                    // INVARIANT: From `hint` to the end of this range every page is allocated.
                    if i == self.hint {
                        self.hint = i + len;
                    }
                    i += len;
                    first = i;
                }
            }
        }
        if i - first < count {
            return Err(ENOSPC);
        }
        // INVARIANT: `first..first + count` is free: it overlaps no range. If it starts at `hint`,
        // every page below its end is now allocated, and it ends where no range crosses.
        self.starts[first] = count;
        self.free -= count;
        if first == self.hint {
            self.hint = first + count;
        }
        Ok(first)
    }

    /// Frees the range that starts at page `first`; returns its size, or `None` if no allocated
    /// range starts there.
    fn free(&mut self, first: usize) -> Option<usize> {
        let len = match self.starts.get_mut(first) {
            Some(len) if *len != 0 => core::mem::take(len),
            _ => return None,
        };
        // INVARIANT: The range is free again; `first` is the start of a range that was allocated,
        // so none crosses it.
        self.free += len;
        self.hint = self.hint.min(first);
        Some(len)
    }

    /// The number of free pages.
    fn free_pages(&self) -> usize {
        self.free
    }
}

struct RustIpcBufferModule {
    _device: Pin<KBox<RustIpcBuffer>>,
}

impl kernel::Module for RustIpcBufferModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("Initialising Rust IPC buffer sample\n");

        let options = MiscDeviceOptions {
            name: c_str!("rust-ipc-buffer"),
        };
        let channels = Arc::pin_init(
            pin_init!(Channels {
                inner <- new_mutex!(ChannelsInner {
                    next_id: 1,
                    channels: KVec::new(),
                }),
            }),
            GFP_KERNEL,
        )?;

        Ok(Self {
            // `channels` comes first: the device can be opened as soon as `misc` is registered.
            _device: KBox::pin_init(
                try_pin_init!(RustIpcBuffer {
                    channels,
                    misc <- MiscDeviceRegistration::register(options),
                }),
                GFP_KERNEL,
            )?,
        })
    }
}

/// The device: its registration and its channels.
#[pin_data]
struct RustIpcBuffer {
    /// Dropped (deregistered) first, so that no file can be opened after `channels` is gone.
    #[pin]
    misc: MiscDeviceRegistration<Channel>,
    channels: Arc<Channels>,
}

/// The open channels of the device, by id.
#[pin_data]
struct Channels {
    #[pin]
    inner: Mutex<ChannelsInner>,
}

struct ChannelsInner {
    /// The id of the next channel.
    next_id: u32,
    /// Every channel whose file is open, in slots that a closed file leaves empty.
    channels: KVec<Option<Arc<Channel>>>,
}

impl Channels {
    /// Returns the open channel with this id.
    fn get(&self, id: u32) -> Option<Arc<Channel>> {
        let inner = self.inner.lock();
        inner
            .channels
            .iter()
            .flatten()
            .find(|c| c.id == id)
            .cloned()
    }
}

/// One open file of the device: a channel, with its receiver's buffer.
#[pin_data]
struct Channel {
    /// The channel's id: `RUST_IPC_BUFFER_GET_ID`.
    id: u32,
    /// The device's channels, to leave at `release`.
    channels: Arc<Channels>,
    #[pin]
    inner: Mutex<ChannelInner>,
    /// Notified when a message is queued. It lives as long as the file (the file's private data
    /// holds the channel), which `PollTable::register_wait` requires.
    #[pin]
    queued: PollCondVar,
}

struct ChannelInner {
    /// The receiver's mapping, from its mmap on: it stays here after the mapping is gone, so that
    /// the channel is only ever mapped once.
    mapping: Option<Mapping>,
    /// The space of the mapping, in pages.
    space: RangeAllocator,
    /// The messages, each in the slot of the first page of its space (so one for each page of
    /// the mapping): sent, and received or not, until they are freed.
    messages: KVec<Option<Message>>,
    /// The first pages of the messages sent and not yet received, oldest first: `queued`
    /// entries of this ring of one entry a page, from `head`.
    ring: KVec<usize>,
    head: usize,
    queued: usize,
}

impl ChannelInner {
    /// Queues `msg`, whose space (from the allocator) is its own.
    fn enqueue(&mut self, msg: Message) {
        let first = msg.first;
        self.messages[first] = Some(msg);
        // There is an entry for each page, and each queued message has a page of its own.
        let tail = (self.head + self.queued) % self.ring.len();
        self.ring[tail] = first;
        self.queued += 1;
    }

    /// Takes the oldest message off the queue, marks it received and returns it.
    fn dequeue(&mut self) -> Option<&Message> {
        if self.queued == 0 {
            return None;
        }
        let first = self.ring[self.head];
        self.head = (self.head + 1) % self.ring.len();
        self.queued -= 1;
        let msg = self.messages[first].as_mut()?;
        msg.received = true;
        Some(msg)
    }

    /// Puts the received message at `first` back at the head of the queue.
    fn requeue(&mut self, first: usize) {
        if let Some(msg) = self.messages.get_mut(first).and_then(Option::as_mut) {
            msg.received = false;
            self.head = (self.head + self.ring.len() - 1) % self.ring.len();
            self.ring[self.head] = first;
            self.queued += 1;
        }
    }

    /// Takes the received message that starts at `offset` out of its slot.
    fn take_received(&mut self, offset: usize) -> Option<Message> {
        if offset % PAGE_SIZE != 0 {
            return None;
        }
        let slot = self.messages.get_mut(offset / PAGE_SIZE)?;
        if !slot.as_ref()?.received {
            return None;
        }
        slot.take()
    }
}

/// The receiver's mapping of a channel, as its mmap made it.
struct Mapping {
    /// The receiver's address space; a count of `mm_count` only, which does not keep its
    /// mappings alive.
    mm: ARef<Mm>,
    /// The start address of the mapping, the buffer's offset 0.
    start: usize,
    /// Its length in pages.
    pages: usize,
}

/// A message: its pages, inserted into the receiver's mapping at `first * PAGE_SIZE`.
struct Message {
    first: usize,
    len: usize,
    pages: KVec<Page>,
    /// Whether `RUST_IPC_BUFFER_RECV` has returned it.
    received: bool,
}

/// The operations of the channels' VMAs: they mark them as a channel's, and keep them where they
/// were made.
struct ChannelVmOps;

static CHANNEL_VM_OPS: VmOperationsTable<ChannelVmOps> = VmOperationsTable::new();

#[vtable]
impl VmOperations for ChannelVmOps {
    type Data = Channel;
    const TABLE: &'static VmOperationsTable<Self> = &CHANNEL_VM_OPS;

    // Sends and frees find a message's pages at the address the mapping was made at: a moved
    // mapping would keep pages that a free cannot zap. (It runs with the mmap write lock held, so
    // it must not take the channel's lock.)
    fn mremap(_channel: ArcBorrow<'_, Channel>, _vma: VmaSpan) -> Result {
        Err(EINVAL)
    }
}

#[vtable]
impl MiscDevice for Channel {
    type Ptr = Arc<Self>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Self>> {
        // SAFETY: The only `MiscDeviceRegistration<Channel>` is the `misc` field of the module's
        // `RustIpcBuffer`, so `misc` points into one, and the offset of `misc` in it leads back to
        // its start, in the same allocation (its pinned box). The box stays alive during this
        // call: `misc` is deregistered before the rest is dropped (fields drop in declaration
        // order), and `misc_deregister()` waits for `misc_open()`, which holds `misc_mtx` while it
        // calls us. `channels` was written before `misc` was registered (`try_pin_init!`
        // initialises in the order it is given), and `misc_register()` took `misc_mtx` after
        // that, so this read of it sees it.
        let device = unsafe { &*container_of!(misc, RustIpcBuffer, misc) };
        let channels = device.channels.clone();

        let mut inner = channels.inner.lock();
        let mut id = inner.next_id;
        while id == 0 || inner.channels.iter().flatten().any(|c| c.id == id) {
            id = id.wrapping_add(1);
        }
        inner.next_id = id.wrapping_add(1);
        let space = RangeAllocator::new(0)?;
        let channel = Arc::pin_init(
            try_pin_init!(Channel {
                id,
                channels: device.channels.clone(),
                inner <- new_mutex!(ChannelInner {
                    mapping: None,
                    space,
                    messages: KVec::new(),
                    ring: KVec::new(),
                    head: 0,
                    queued: 0,
                }),
                queued <- new_poll_condvar!(),
            }),
            GFP_KERNEL,
        )?;
        match inner.channels.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(channel.clone()),
            None => inner.channels.push(Some(channel.clone()), GFP_KERNEL)?,
        }
        Ok(channel)
    }

    fn release(channel: Arc<Self>, _file: &ReleasingFile) {
        // From here no sender finds the channel. Its mapping, if any, keeps it alive.
        let mut inner = channel.channels.inner.lock();
        for slot in inner.channels.iter_mut() {
            if slot.as_ref().is_some_and(|c| ptr::eq(&**c, &*channel)) {
                *slot = None;
            }
        }
    }

    fn mmap(channel: ArcBorrow<'_, Channel>, _file: &File, vma: &VmaNew) -> Result {
        let pages = (vma.end() - vma.start()) / PAGE_SIZE;
        let max = usize::try_from(*module_parameters::buffer_pages.value())?;
        if vma.pgoff() != 0 || pages > max {
            return Err(EINVAL);
        }
        if vma.writable() {
            return Err(EPERM);
        }
        vma.try_clear_maywrite()?;
        // Fails with `EINVAL` if `PROT_EXEC` was requested.
        vma.try_clear_mayexec()?;
        // `VM_IO` too: it makes `VM_DONTCOPY` stick (`madvise(MADV_DOFORK)` is refused), so that
        // the pages are only ever mapped in this address space, where a free zaps them, and keeps
        // `get_user_pages()` off them.
        vma.set_dontcopy();
        vma.set_io();
        vma.set_mixedmap();

        // Every message takes a page at least: with a slot and a ring entry for each page,
        // queueing a message never allocates.
        let space = RangeAllocator::new(pages)?;
        let mut messages = KVec::with_capacity(pages, GFP_KERNEL)?;
        for _ in 0..pages {
            messages.push(None, GFP_KERNEL)?;
        }
        let ring = KVec::from_elem(0, pages, GFP_KERNEL)?;

        let mut inner = channel.inner.lock();
        if inner.mapping.is_some() {
            return Err(EBUSY);
        }
        // The VMA is the channel's from here, and holds a reference to it.
        vma.set_vm_ops::<ChannelVmOps>(channel.into())?;
        let mm: &Mm = vma.mm();
        inner.mapping = Some(Mapping {
            mm: ARef::from(mm),
            start: vma.start(),
            pages,
        });
        inner.space = space;
        inner.messages = messages;
        inner.ring = ring;
        Ok(())
    }

    fn ioctl(channel: ArcBorrow<'_, Channel>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            RUST_IPC_BUFFER_GET_ID => {
                UserSlice::new(arg, size_of::<u32>())
                    .writer()
                    .write(&channel.id)?;
            }
            RUST_IPC_BUFFER_SEND => {
                let send = UserSlice::new(arg, size_of::<RustIpcSend>())
                    .reader()
                    .read::<RustIpcSend>()?;
                if send.len == 0 {
                    return Err(EINVAL);
                }
                let target = channel.channels.get(send.id).ok_or(ENOENT)?;
                target.send(usize::try_from(send.data)?, usize::try_from(send.len)?)?;
            }
            RUST_IPC_BUFFER_RECV => channel.recv(file, arg)?,
            RUST_IPC_BUFFER_FREE => {
                let offset = UserSlice::new(arg, size_of::<u64>())
                    .reader()
                    .read::<u64>()?;
                channel.free(usize::try_from(offset).map_err(|_| EINVAL)?)?;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn poll(channel: ArcBorrow<'_, Channel>, file: &File, table: &PollTable<'_>) -> u32 {
        // SAFETY: `queued` lives as long as the channel, which the file's private data keeps
        // alive until `release`: longer than any `select()` or `poll()` of the file.
        unsafe { table.register_wait(file, &channel.queued) };
        if channel.inner.lock().queued == 0 {
            0
        } else {
            POLLIN | POLLRDNORM
        }
    }
}

impl Channel {
    /// Sends `len` bytes at the current task's address `data` to this channel's receiver.
    fn send(&self, data: usize, len: usize) -> Result {
        let count = len.div_ceil(PAGE_SIZE);
        let (mm, start, first) = {
            let mut inner = self.inner.lock();
            let mapping = inner.mapping.as_ref().ok_or(ESRCH)?;
            if count > mapping.pages {
                return Err(EINVAL);
            }
            let (mm, start) = (mapping.mm.clone(), mapping.start);
            (mm, start, inner.space.alloc(count)?)
        };

        match self.fill_and_insert(&mm, start, first, data, len) {
            Ok(pages) => {
                self.inner.lock().enqueue(Message {
                    first,
                    len,
                    pages,
                    received: false,
                });
                self.queued.notify_all();
                Ok(())
            }
            Err(e) => {
                self.inner.lock().space.free(first);
                Err(e)
            }
        }
    }

    /// Copies `len` bytes at the current task's address `data` into new pages and inserts them
    /// into the receiver's mapping at buffer page `first`.
    fn fill_and_insert(
        &self,
        mm: &Mm,
        start: usize,
        first: usize,
        data: usize,
        len: usize,
    ) -> Result<KVec<Page>> {
        let count = len.div_ceil(PAGE_SIZE);
        let mut pages = KVec::with_capacity(count, GFP_KERNEL)?;
        let mut reader = UserSlice::new(data, len).reader();
        for i in 0..count {
            let page = Page::alloc_page(GFP_KERNEL)?;
            let n = PAGE_SIZE.min(len - i * PAGE_SIZE);
            // SAFETY: Nothing else can access the page, which we just allocated.
            unsafe { page.copy_from_user_slice_raw(&mut reader, 0, n)? };
            if n < PAGE_SIZE {
                // The end of the last page must not show what the page held before.
                //
                // SAFETY: As above.
                unsafe { page.fill_zero_raw(n, PAGE_SIZE - n)? };
            }
            pages.push(page, GFP_KERNEL)?;
        }

        // The receiver's address space, if it is still alive.
        let mm = mm.mmget_not_zero().ok_or(ESRCH)?;
        let addr = start + first * PAGE_SIZE;
        let ret = match mm.lock_vma_under_rcu(addr) {
            Some(vma) => self.insert_into(&vma, start, addr, &pages),
            None => {
                let guard = mm.mmap_read_lock();
                match guard.vma_lookup(addr) {
                    Some(vma) => self.insert_into(vma, start, addr, &pages),
                    None => Err(ESRCH),
                }
            }
        };
        // If the receiver has exited meanwhile, the address space is torn down from a work item,
        // not here.
        drop(MmWithUser::into_mmput_async(mm));
        ret.map(|()| pages)
    }

    /// Inserts `pages` at `addr` of `vma`, if it is this channel's mapping of the buffer
    /// that started at `start`, as found at `addr`, and covers the whole of them.
    fn insert_into(&self, vma: &VmaRef, start: usize, addr: usize, pages: &[Page]) -> Result {
        let end = addr + pages.len() * PAGE_SIZE;
        let vma = vma.with_ops::<ChannelVmOps>().ok_or(ESRCH)?;
        // This channel's mapping, not another's, covering the message, and mapping the buffer
        // page the message was given there (it may have been moved by `mremap()`).
        if !ptr::eq(&*vma.data(), self)
            || end > vma.end()
            || vma.pgoff() + (addr - vma.start()) / PAGE_SIZE != (addr - start) / PAGE_SIZE
        {
            return Err(ESRCH);
        }
        // Set by our mmap hook.
        let vma = vma.as_mixedmap_vma().ok_or(ESRCH)?;
        if let Err(e) = vma.vm_insert_pages(addr, pages) {
            // Take back the pages inserted before the failure.
            vma.zap_page_range_single(addr, end - addr);
            return Err(e.into());
        }
        Ok(())
    }

    /// Handles `RUST_IPC_BUFFER_RECV`.
    fn recv(&self, file: &File, arg: usize) -> Result {
        let mut inner = self.inner.lock();
        let out = loop {
            if let Some(msg) = inner.dequeue() {
                break RustIpcMsg {
                    offset: (msg.first * PAGE_SIZE) as u64,
                    len: msg.len as u64,
                };
            }
            if file.flags() & O_NONBLOCK != 0 {
                return Err(EAGAIN);
            }
            if self.queued.wait_interruptible(&mut inner) {
                return Err(EINTR);
            }
        };
        // Not under the lock: a fault on the user's memory takes the mmap lock, which the mmap hook
        // holds when it takes ours.
        drop(inner);

        if let Err(e) = UserSlice::new(arg, size_of::<RustIpcMsg>())
            .writer()
            .write(&out)
        {
            // Not received after all: put it back, first in the queue.
            self.inner.lock().requeue(out.offset as usize / PAGE_SIZE);
            return Err(e);
        }
        Ok(())
    }

    /// Handles `RUST_IPC_BUFFER_FREE`: zaps the pages of the received message at `offset` from
    /// the receiver's mapping, then frees them and their space.
    fn free(&self, offset: usize) -> Result {
        let (msg, mm, start) = {
            let mut inner = self.inner.lock();
            // A received message implies a mapping.
            let mapping = inner.mapping.as_ref().ok_or(EINVAL)?;
            let (mm, start) = (mapping.mm.clone(), mapping.start);
            (inner.take_received(offset).ok_or(EINVAL)?, mm, start)
        };

        // The pages are still mapped wherever the mapping has them; if the address space is gone,
        // so are its mappings.
        if let Some(mm) = mm.mmget_not_zero() {
            let guard = mm.mmap_read_lock();
            let mut addr = start + msg.first * PAGE_SIZE;
            let end = addr + msg.pages.len() * PAGE_SIZE;
            while addr < end {
                let Some(vma) = guard.vma_lookup(addr) else {
                    addr += PAGE_SIZE;
                    continue;
                };
                let stop = end.min(vma.end());
                if let Some(vma) = vma.with_ops::<ChannelVmOps>() {
                    if ptr::eq(&*vma.data(), self) {
                        vma.zap_page_range_single(addr, stop - addr);
                    }
                }
                addr = stop;
            }
            drop(guard);
            drop(MmWithUser::into_mmput_async(mm));
        }

        // Only now may the space be given to another message.
        let first = msg.first;
        drop(msg);
        self.inner.lock().space.free(first);
        Ok(())
    }
}

#[kunit_tests(rust_ipc_buffer)]
mod tests {
    use super::RangeAllocator;
    use kernel::prelude::*;

    #[test]
    fn alloc_first_fit_and_enospc() -> Result {
        let mut a = RangeAllocator::new(8)?;
        assert_eq!(a.alloc(3), Ok(0));
        assert_eq!(a.alloc(4), Ok(3));
        assert_eq!(a.alloc(2), Err(ENOSPC));
        assert_eq!(a.alloc(1), Ok(7));
        assert_eq!(a.alloc(1), Err(ENOSPC));
        assert_eq!(a.free_pages(), 0);
        Ok(())
    }

    #[test]
    fn alloc_zero_pages_is_einval() -> Result {
        let mut a = RangeAllocator::new(4)?;
        assert_eq!(a.alloc(0), Err(EINVAL));
        assert_eq!(a.alloc(5), Err(ENOSPC));
        assert_eq!(a.free_pages(), 4);
        Ok(())
    }

    #[test]
    fn free_reuses_the_gap() -> Result {
        let mut a = RangeAllocator::new(10)?;
        assert_eq!(a.alloc(2), Ok(0));
        assert_eq!(a.alloc(3), Ok(2));
        assert_eq!(a.alloc(2), Ok(5));
        assert_eq!(a.free(2), Some(3));
        assert_eq!(a.free(2), None);
        assert_eq!(a.free(1), None);
        // First fit: the gap of three pages, then the end, then nothing.
        assert_eq!(a.alloc(2), Ok(2));
        assert_eq!(a.alloc(2), Ok(7));
        assert_eq!(a.alloc(2), Err(ENOSPC));
        assert_eq!(a.alloc(1), Ok(4));
        assert_eq!(a.alloc(1), Ok(9));
        assert_eq!(a.free_pages(), 0);
        Ok(())
    }

    #[test]
    fn free_everything_then_whole_buffer() -> Result {
        let mut a = RangeAllocator::new(6)?;
        for i in 0..6 {
            assert_eq!(a.alloc(1), Ok(i));
        }
        // Out of order.
        for first in [3, 0, 5, 1, 4, 2] {
            assert_eq!(a.free(first), Some(1));
        }
        assert_eq!(a.free_pages(), 6);
        assert_eq!(a.alloc(6), Ok(0));
        assert_eq!(a.free(0), Some(6));
        Ok(())
    }

    #[test]
    fn first_fit_below_and_above_the_hint() -> Result {
        let mut a = RangeAllocator::new(4)?;
        for i in 0..4 {
            assert_eq!(a.alloc(1), Ok(i));
        }
        assert_eq!(a.free(2), Some(1));
        assert_eq!(a.free(0), Some(1));
        assert_eq!(a.alloc(1), Ok(0));
        assert_eq!(a.alloc(1), Ok(2));
        assert_eq!(a.free(1), Some(1));
        assert_eq!(a.free(3), Some(1));
        // Two pages are free, but not next to each other.
        assert_eq!(a.free_pages(), 2);
        assert_eq!(a.alloc(2), Err(ENOSPC));
        assert_eq!(a.free(2), Some(1));
        assert_eq!(a.alloc(3), Ok(1));
        assert_eq!(a.alloc(1), Err(ENOSPC));
        assert_eq!(a.free(0), Some(1));
        assert_eq!(a.alloc(1), Ok(0));
        assert_eq!(a.free_pages(), 0);
        Ok(())
    }

    #[test]
    fn empty_buffer_has_no_space() -> Result {
        let mut a = RangeAllocator::new(0)?;
        assert_eq!(a.alloc(1), Err(ENOSPC));
        assert_eq!(a.free(0), None);
        Ok(())
    }
}
