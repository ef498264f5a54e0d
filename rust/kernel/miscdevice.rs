// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2024 Google LLC.

//! Miscdevice support.
//!
//! C headers: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h).
//!
//! Reference: <https://www.kernel.org/doc/html/latest/driver-api/misc_devices.html>

use crate::{
    bindings,
    device::Device,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_long, c_uint, c_ulong},
    fs::{File, ReleasingFile},
    init,
    prelude::*,
    sync::poll::PollTable,
    types::{ForeignOwnable, Opaque},
};
use core::{marker::PhantomData, mem::MaybeUninit};

#[cfg(CONFIG_MMU)]
use crate::mm::virt::VmaNew;

/// Options for creating a misc device.
pub struct MiscDeviceOptions {
    /// The name of the miscdevice.
    pub name: &'static CStr,
}

impl MiscDeviceOptions {
    /// Create a raw `struct miscdevice` ready for registration.
    ///
    /// The minor number is allocated dynamically and the file operations are the ones of `T`.
    /// Those file operations expect the `struct miscdevice` to be the one inside a
    /// [`MiscDeviceRegistration<T>`]: register it with [`MiscDeviceRegistration::register`].
    pub const fn into_raw<T: MiscDevice>(self) -> bindings::miscdevice {
        // SAFETY: All zeros is valid for this C type: it only contains integers, pointers, which
        // may be null, and a `struct list_head`, which the C side initialises in `misc_register`.
        let mut result: bindings::miscdevice = unsafe { MaybeUninit::zeroed().assume_init() };
        result.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
        result.name = self.name.as_char_ptr();
        result.fops = MiscdeviceVTable::<T>::build();
        result
    }
}

/// A registration of a miscdevice.
///
/// The `owner` of the file operations is the module that implements [`MiscDevice`] for `T` (C's
/// `THIS_MODULE`, from `#[vtable]`): an open file of the device, or a mapping of one, pins that
/// module, so a loadable module cannot be unloaded while its code may still be called. Mainline
/// leaves `owner` null.
///
/// # Invariants
///
/// `inner` is a registered misc device.
#[pin_data(PinnedDrop)]
pub struct MiscDeviceRegistration<T> {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
    _t: PhantomData<T>,
}

// SAFETY: It is allowed to call `misc_deregister` on a different thread from where you called
// `misc_register`.
unsafe impl<T> Send for MiscDeviceRegistration<T> {}

// SAFETY: All `&self` methods on this type are written to ensure that it is safe to call them in
// parallel.
unsafe impl<T> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Register a misc device.
    pub fn register(opts: MiscDeviceOptions) -> impl PinInit<Self, Error> {
        let init_inner = move |slot: *mut Opaque<bindings::miscdevice>| {
            let slot = Opaque::raw_get(slot);

            // SAFETY: The pin-initializer gives us `slot`, the uninitialized memory of the
            // `inner` field, which is valid for writes.
            unsafe { slot.write(opts.into_raw::<T>()) };

            // SAFETY: We just wrote a valid `struct miscdevice` to the slot; its `name` and `fops`
            // are `'static`. The slot is pinned, so it stays at this address while registered,
            // and the miscdevice will get deregistered before `slot` is deallocated because the
            // `PinnedDrop` destructor of this type deregisters it (and pinned memory must be
            // dropped before it is reused).
            //
            // INVARIANT: If this returns `Ok(())`, then the `slot` contains a registered misc
            // device.
            to_result(unsafe { bindings::misc_register(slot) })
        };

        try_pin_init!(Self {
            // SAFETY: `init_inner` either fully initializes and registers the slot and returns
            // `Ok(())`, or returns an error after a failed `misc_register`, in which case nothing
            // is registered and the slot can be deallocated without being dropped. It does not
            // move the slot.
            inner <- unsafe {
                init::pin_init_from_closure::<Opaque<bindings::miscdevice>, Error>(init_inner)
            },
            _t: PhantomData,
        })
    }

    /// Returns a raw pointer to the misc device.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::miscdevice {
        self.inner.get()
    }

    /// Access the `this_device` field.
    #[inline]
    pub fn device(&self) -> &Device {
        // SAFETY: This can only be called after a successful register(), which always
        // initialises `this_device` with a valid device. Furthermore, the signature of this
        // function tells the borrow-checker that the `&Device` reference must not outlive the
        // `&MiscDeviceRegistration<T>` used to obtain it, so the last use of the reference must be
        // before the underlying `struct miscdevice` is destroyed (`misc_deregister` destroys
        // `this_device`).
        unsafe { Device::as_ref((*self.as_raw()).this_device) }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for MiscDeviceRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: We know that the device is registered by the type invariants.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}

/// Trait implemented by the private data of an open misc device.
///
/// [`MiscDevice::open`] creates the private data of a file, which the other callbacks borrow and
/// [`MiscDevice::release`] gets back. The optional callbacks are only installed in the `struct
/// file_operations` of the device if the implementation provides them. See
/// `samples/rust/rust_misc_device.rs` for a device with an `mmap` hook.
///
/// # Examples
///
/// ```
/// use kernel::{
///     c_str,
///     fs::File,
///     miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
///     prelude::*,
/// };
///
/// /// The state of one open file.
/// struct Flags;
///
/// #[vtable]
/// impl MiscDevice for Flags {
///     type Ptr = KBox<Self>;
///
///     fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
///         Ok(KBox::new(Flags, GFP_KERNEL)?)
///     }
///
///     fn ioctl(_me: &Flags, file: &File, cmd: u32, _arg: usize) -> Result<isize> {
///         match cmd {
///             // Returns the flags the file was opened with.
///             0 => Ok(file.flags() as isize),
///             _ => Err(ENOTTY),
///         }
///     }
/// }
///
/// /// Registers `/dev/rust-flags`; it goes away when the registration is dropped.
/// fn register() -> Result<Pin<KBox<MiscDeviceRegistration<Flags>>>> {
///     let options = MiscDeviceOptions {
///         name: c_str!("rust-flags"),
///     };
///     KBox::pin_init(MiscDeviceRegistration::register(options), GFP_KERNEL)
/// }
///
/// // Only the hooks that `Flags` implements are set: `mmap()` on the device fails with `ENODEV`.
/// let flags = register()?;
/// // SAFETY: The `fops` of a registered misc device are valid while it is registered.
/// let fops = unsafe { &*(*flags.as_raw()).fops };
/// assert!(fops.open.is_some() && fops.release.is_some() && fops.unlocked_ioctl.is_some());
/// assert!(fops.mmap.is_none());
/// // Built-in code has no module to pin, as with C's `THIS_MODULE`.
/// assert!(fops.owner.is_null());
/// # Ok::<(), Error>(())
/// ```
///
/// A device with an `mmap` hook gets `f_ops->mmap`:
///
/// ```
/// use kernel::{
///     c_str,
///     fs::File,
///     miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
///     mm::virt::VmaNew,
///     prelude::*,
/// };
///
/// struct Mappable;
///
/// #[vtable]
/// impl MiscDevice for Mappable {
///     type Ptr = KBox<Self>;
///
///     fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
///         Ok(KBox::new(Mappable, GFP_KERNEL)?)
///     }
///
///     fn mmap(_me: &Mappable, _file: &File, vma: &VmaNew) -> Result {
///         vma.try_clear_mayexec()
///     }
/// }
///
/// let options = MiscDeviceOptions {
///     name: c_str!("rust-mappable"),
/// };
/// let misc = KBox::pin_init(MiscDeviceRegistration::<Mappable>::register(options), GFP_KERNEL)?;
/// // SAFETY: The `fops` of a registered misc device are valid while it is registered.
/// let fops = unsafe { &*(*misc.as_raw()).fops };
/// assert!(fops.mmap.is_some());
/// assert!(fops.unlocked_ioctl.is_none());
/// # Ok::<(), Error>(())
/// ```
#[vtable]
pub trait MiscDevice: Sized {
    /// What kind of pointer should `Self` be wrapped in.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Called when the misc device is opened.
    ///
    /// The returned pointer will be stored as the private data for the file.
    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Self::Ptr>;

    /// Called when the misc device is released.
    ///
    /// The last reference to the file is gone by then: `file` is a [`ReleasingFile`], which
    /// cannot be turned into a new reference. (Mainline passes a `&File`.)
    fn release(device: Self::Ptr, _file: &ReleasingFile) {
        drop(device);
    }

    /// Handle for mmap.
    ///
    /// This function is invoked when a user space process invokes the `mmap` system call on
    /// `file`. The function is a callback that is part of the VMA initializer. The kernel will do
    /// initial setup of the VMA before calling this function. The function can then interact with
    /// the VMA initialization by calling methods of `vma`. If the function does not return an
    /// error, the kernel will complete initialization of the VMA according to the properties of
    /// `vma`.
    #[cfg(CONFIG_MMU)]
    fn mmap(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _vma: &VmaNew,
    ) -> Result {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handler for `poll`, `select` and `epoll`.
    ///
    /// Registers the wait queues that will be woken when the file's state changes on `table`
    /// (with [`PollTable::register_wait`]) and returns the events that are ready now, such as
    /// [`POLLIN`](crate::sync::poll::POLLIN). (Mainline's miscdevice has no `poll`.)
    fn poll(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _table: &PollTable<'_>,
    ) -> u32 {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handler for ioctls.
    ///
    /// The `cmd` argument is usually manipulated using the utilities in [`kernel::ioctl`].
    ///
    /// [`kernel::ioctl`]: mod@crate::ioctl
    fn ioctl(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handler for ioctls.
    ///
    /// Used for 32-bit userspace on 64-bit platforms.
    ///
    /// This method is optional and only needs to be provided if the ioctl relies on structures
    /// that have different layout on 32-bit and 64-bit userspace. If no implementation is
    /// provided, then `compat_ptr_ioctl` will be used instead.
    fn compat_ioctl(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        crate::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A vtable for the file operations of a Rust miscdevice.
struct MiscdeviceVTable<T: MiscDevice>(PhantomData<T>);

impl<T: MiscDevice> MiscdeviceVTable<T> {
    /// # Safety
    ///
    /// `file` and `inode` must be the file and inode for a file that is undergoing initialization.
    /// The file must be associated with a `MiscDeviceRegistration<T>`: its private data must point
    /// at the `inner` field of that registration, which must stay registered during this call (as
    /// `misc_open()` guarantees).
    unsafe extern "C" fn fops_open(
        _inode: *mut bindings::inode,
        raw_file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: The open call of a file can access the private data.
        let misc_ptr = unsafe { (*raw_file).private_data };

        // SAFETY: This is a miscdevice, so `misc_open()` set the private data to a pointer to the
        // associated `struct miscdevice` before calling into this method, and by the safety
        // requirements that `struct miscdevice` is the `inner` field of a
        // `MiscDeviceRegistration<T>` (the only place where these file operations are installed is
        // `MiscDeviceOptions::into_raw::<T>`, which `MiscDeviceRegistration::<T>::register` uses).
        // Both pointers are therefore in bounds of the same allocation.
        let misc_ptr = unsafe {
            crate::container_of!(
                misc_ptr.cast::<Opaque<bindings::miscdevice>>(),
                MiscDeviceRegistration<T>,
                inner
            )
        };

        // SAFETY: The registration is valid: `misc_open()` holds `misc_mtx`, which
        // `misc_deregister()` also takes, so the miscdevice can't be deregistered and freed during
        // this call to `fops_open`.
        let misc = unsafe { &*misc_ptr };

        // SAFETY:
        // * The file is valid for the duration of this call, which is longer than `T::open`.
        // * The file is being opened, so it is not yet in any fd table and there is no active
        //   `fdget_pos` call on it.
        let file = unsafe { File::from_raw_file(raw_file) };

        let ptr = match T::open(file, misc) {
            Ok(ptr) => ptr,
            Err(err) => return err.to_errno(),
        };

        // This overwrites the private data with the value specified by the user, changing the type
        // of this file's private data. All future accesses to the private data are performed by
        // other `fops_*` methods in this file, which all correctly cast the private data to the new
        // type.
        //
        // SAFETY: The open call of a file can access the private data.
        unsafe { (*raw_file).private_data = ptr.into_foreign().cast_mut() };

        0
    }

    /// # Safety
    ///
    /// `file` and `inode` must be the file and inode for a file that is being released. The file
    /// must be associated with a `MiscDeviceRegistration<T>` and must have been opened
    /// successfully by [`Self::fops_open`].
    unsafe extern "C" fn fops_release(
        _inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: The release call of a file owns the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: The release call of a file owns the private data: it was set by `fops_open` to
        // the result of `into_foreign`, and every other file operation that borrowed it has
        // returned, since they all hold a reference to the file and release is only called once
        // the last reference is gone.
        let ptr = unsafe { <T::Ptr as ForeignOwnable>::from_foreign(private) };

        // SAFETY: The file is being released, and it stays valid until this call returns: `fput`
        // frees it after `release`.
        T::release(ptr, unsafe { ReleasingFile::from_raw_file(file) });

        0
    }

    /// # Safety
    ///
    /// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>` and was
    /// opened successfully by [`Self::fops_open`]. `vma` must be a vma that is currently being
    /// mmap'ed with this file.
    #[cfg(CONFIG_MMU)]
    unsafe extern "C" fn fops_mmap(
        file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: The mmap call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: This is a Rust miscdevice, so `fops_open` set the private data to the result of
        // `into_foreign`, and `fops_release` (which calls `from_foreign`) cannot run concurrently
        // because the caller holds a reference to the file.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private) };
        // SAFETY: The caller provides a vma that is undergoing initial VMA setup, and it stays so
        // for the duration of this call.
        let area = unsafe { VmaNew::from_raw(vma) };
        // SAFETY:
        // * The file is valid for the duration of this call.
        // * `mmap(2)` takes a reference with `fget`, not `fdget_pos`, so this thread is not inside
        //   an `fdget_pos` region that skipped `f_pos_lock`; and such a region on another thread
        //   requires a file that is not shared, so nobody else could be calling `mmap` on it.
        let file = unsafe { File::from_raw_file(file) };

        // SAFETY: `vma` is valid, and not shared yet.
        let ops_before = unsafe { (*vma).vm_ops };
        match T::mmap(device, file, area) {
            Ok(()) => 0,
            Err(err) => {
                // SAFETY: The hook just failed, and safe code can only change `vm_ops` through
                // `VmaNew::set_vm_ops`.
                unsafe { crate::mm::virt::ops::close_failed_mmap(vma, ops_before) };
                err.to_errno()
            }
        }
    }

    /// # Safety
    ///
    /// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>` and was
    /// opened successfully by [`Self::fops_open`].
    unsafe extern "C" fn fops_ioctl(
        file: *mut bindings::file,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: The ioctl call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: This is a Rust miscdevice, so `fops_open` set the private data to the result of
        // `into_foreign`, and `fops_release` (which calls `from_foreign`) cannot run concurrently
        // because the caller holds a reference to the file.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private) };

        // SAFETY:
        // * The file is valid for the duration of this call.
        // * `ioctl` uses `fdget`, not `fdget_pos`, so this thread is not inside an `fdget_pos`
        //   region that skipped `f_pos_lock`; and such a region on another thread requires a file
        //   that is not shared, so nobody else could be calling `ioctl` on it.
        let file = unsafe { File::from_raw_file(file) };

        match T::ioctl(device, file, cmd, arg) {
            Ok(ret) => ret,
            Err(err) => err.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>` and was
    /// opened successfully by [`Self::fops_open`].
    #[cfg(CONFIG_COMPAT)]
    unsafe extern "C" fn fops_compat_ioctl(
        file: *mut bindings::file,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: The compat ioctl call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: This is a Rust miscdevice, so `fops_open` set the private data to the result of
        // `into_foreign`, and `fops_release` (which calls `from_foreign`) cannot run concurrently
        // because the caller holds a reference to the file.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private) };

        // SAFETY:
        // * The file is valid for the duration of this call.
        // * `ioctl` uses `fdget`, not `fdget_pos`, so this thread is not inside an `fdget_pos`
        //   region that skipped `f_pos_lock`; and such a region on another thread requires a file
        //   that is not shared, so nobody else could be calling `ioctl` on it.
        let file = unsafe { File::from_raw_file(file) };

        match T::compat_ioctl(device, file, cmd, arg) {
            Ok(ret) => ret,
            Err(err) => err.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>` and was
    /// opened successfully by [`Self::fops_open`]. `table` must be null or point at a valid
    /// `poll_table` for the duration of this call.
    unsafe extern "C" fn fops_poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table,
    ) -> bindings::__poll_t {
        // SAFETY: The poll call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: This is a Rust miscdevice, so `fops_open` set the private data to the result of
        // `into_foreign`, and `fops_release` (which calls `from_foreign`) cannot run concurrently
        // because the caller holds a reference to the file.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private) };

        // SAFETY:
        // * The file is valid for the duration of this call.
        // * `poll()` and `select()` take their reference with `fdget`, not `fdget_pos`, so this
        //   thread is not inside an `fdget_pos` region that skipped `f_pos_lock`. epoll polls a
        //   file it holds no counted reference to, from any task that waits on the epoll file,
        //   so it may run during such a region of another thread; the `File` it is handed is
        //   only used for `poll_wait()` and its flags, which touch no `f_pos`.
        let file = unsafe { File::from_raw_file(file) };
        // SAFETY: The caller passes a null or valid `poll_table`, valid for this call.
        let table = unsafe { PollTable::from_raw(table) };

        T::poll(device, file, &table)
    }

    const VTABLE: bindings::file_operations = bindings::file_operations {
        // The VFS takes a reference to the owner for each open file, and drops it only after
        // `release` has returned, as for C's `THIS_MODULE`.
        owner: T::THIS_MODULE,
        open: Some(Self::fops_open),
        release: Some(Self::fops_release),
        #[cfg(CONFIG_MMU)]
        mmap: if T::HAS_MMAP {
            Some(Self::fops_mmap)
        } else {
            None
        },
        poll: if T::HAS_POLL {
            Some(Self::fops_poll)
        } else {
            None
        },
        unlocked_ioctl: if T::HAS_IOCTL {
            Some(Self::fops_ioctl)
        } else {
            None
        },
        // Without `CONFIG_COMPAT`, `compat_ptr_ioctl` is `NULL` on the C side too.
        #[cfg(CONFIG_COMPAT)]
        compat_ioctl: if T::HAS_COMPAT_IOCTL {
            Some(Self::fops_compat_ioctl)
        } else if T::HAS_IOCTL {
            Some(bindings::compat_ptr_ioctl)
        } else {
            None
        },
        // SAFETY: All zeros is a valid value for `bindings::file_operations`: every field is an
        // integer, a nullable pointer or an optional function pointer.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    const fn build() -> &'static bindings::file_operations {
        &Self::VTABLE
    }
}
