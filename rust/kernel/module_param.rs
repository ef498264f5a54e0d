// SPDX-License-Identifier: GPL-2.0

//! Module parameters.
//!
//! A module declares its parameters in the `params` block of the [`module!`] macro, which makes
//! a [`ModuleParamAccess`] static per parameter, readable by the module's code, and gives each to
//! the kernel with an entry in the `__param` section. The kernel sets the parameters from the
//! kernel command line (`<module name>.<parameter>=<value>`) for a built-in module, from the
//! arguments of `insmod` or `modprobe` (`<parameter>=<value>`) for a loadable one, before the
//! module is initialised. The parameters are read-only afterwards: they appear in sysfs, under
//! `/sys/module/<module name>/parameters/`, with mode `0444`.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! [`module!`]: macros::module

use crate::{
    bindings,
    error::{code::*, to_result, Result},
    ffi::{c_char, c_int},
    page::PAGE_SIZE,
    str::{CStr, Formatter},
};
use core::{
    cell::UnsafeCell,
    fmt::{self, Write},
    marker::PhantomData,
    ptr,
};

/// Types that can be the type of a module parameter.
///
/// # Examples
///
/// Integers are parsed like the kernel's `kstrto*()` functions parse them, i.e. like the
/// parameters of C modules:
///
/// ```
/// use kernel::{c_str, module_param::ModuleParam};
///
/// assert_eq!(u32::try_from_param_arg(c_str!("16"))?, 16);
/// assert_eq!(u32::try_from_param_arg(c_str!("0x10\n"))?, 16);
/// assert_eq!(i8::try_from_param_arg(c_str!("-128"))?, -128);
/// assert_eq!(u8::try_from_param_arg(c_str!("256")), Err(EINVAL));
/// assert_eq!(u16::try_from_param_arg(c_str!("-1")), Err(EINVAL));
/// assert_eq!(i32::try_from_param_arg(c_str!("16 pages")), Err(EINVAL));
/// # Ok::<(), Error>(())
/// ```
pub trait ModuleParam: Sized + Sync + fmt::Display {
    /// Parses the value `arg` given to the parameter.
    ///
    /// The kernel rejects the value, and refuses to load a loadable module, if this fails.
    fn try_from_param_arg(arg: &CStr) -> Result<Self>;
}

/// Parses `arg` as a signed integer, then converts it to `T`.
///
/// Fails with [`EINVAL`] if `arg` is not a number or does not fit in `T`.
fn parse_signed<T: TryFrom<i64>>(arg: &CStr) -> Result<T> {
    let mut value: i64 = 0;
    // SAFETY: `arg` is a `NUL`-terminated string and `value` is valid for writes; `kstrtoll()`
    // reads the one and writes the other, and keeps neither.
    to_result(unsafe { bindings::kstrtoll(arg.as_char_ptr(), 0, &mut value) })
        .map_err(|_| EINVAL)?;
    T::try_from(value).map_err(|_| EINVAL)
}

/// Parses `arg` as an unsigned integer, then converts it to `T`.
///
/// Fails with [`EINVAL`] if `arg` is not a number or does not fit in `T`.
fn parse_unsigned<T: TryFrom<u64>>(arg: &CStr) -> Result<T> {
    let mut value: u64 = 0;
    // SAFETY: `arg` is a `NUL`-terminated string and `value` is valid for writes; `kstrtoull()`
    // reads the one and writes the other, and keeps neither.
    to_result(unsafe { bindings::kstrtoull(arg.as_char_ptr(), 0, &mut value) })
        .map_err(|_| EINVAL)?;
    T::try_from(value).map_err(|_| EINVAL)
}

macro_rules! impl_module_param {
    ($parse:ident: $($t:ty),*) => {$(
        impl ModuleParam for $t {
            #[inline]
            fn try_from_param_arg(arg: &CStr) -> Result<Self> {
                $parse(arg)
            }
        }
    )*};
}

impl_module_param!(parse_signed: i8, i16, i32, i64, isize);
impl_module_param!(parse_unsigned: u8, u16, u32, u64, usize);

/// The value of a module parameter of type `T`.
///
/// The [`module!`] macro makes one for each parameter, as `module_parameters::<name>`.
///
/// # Invariants
///
/// `value` is only written by the `set` operation of [`ParamOps<T>`], and only before anything
/// else accesses it: the only way to have the kernel call that operation on a
/// [`ModuleParamAccess`] is [`RacyKernelParam::new`], whose callers guarantee that the kernel does
/// so only while it parses the module's arguments, before the module's code or the parameter's
/// sysfs file can access it. Once anything else has accessed it, `value` is never written again.
///
/// [`module!`]: macros::module
pub struct ModuleParamAccess<T> {
    value: UnsafeCell<T>,
}

// SAFETY: By the type invariants, `value` is only written before anything else accesses it; from
// then on it is only read, which is safe from several threads as `T` is `Sync`.
unsafe impl<T: Sync> Sync for ModuleParamAccess<T> {}

impl<T> ModuleParamAccess<T> {
    /// Creates a parameter whose value is `default` until the kernel sets it.
    #[inline]
    pub const fn new(default: T) -> Self {
        Self {
            value: UnsafeCell::new(default),
        }
    }

    /// Returns the value of the parameter.
    ///
    /// This is the value given on the kernel command line or to `insmod`, or the default if none
    /// was given (or if the one given was invalid, for a built-in module).
    #[inline]
    pub fn value(&self) -> &T {
        // SAFETY: By the type invariants, `value` is never written again once anything other than
        // the `set` operation accesses it, and this is such an access; so no write can happen
        // while the returned reference lives.
        unsafe { &*self.value.get() }
    }
}

/// Sets the parameter `param` of type `T` to the value `val`.
///
/// This is the `set` operation of [`ParamOps<T>`].
///
/// # Safety
///
/// - `val` must be null or point to a `NUL`-terminated string valid for reads for the duration
///   of the call.
/// - `param` must point to a `kernel_param` valid for reads whose `arg` points to a
///   [`ModuleParamAccess<T>`] that is not accessed by anyone else for the duration of the call.
unsafe extern "C" fn set_param<T: ModuleParam>(
    val: *const c_char,
    param: *const bindings::kernel_param,
) -> c_int {
    // The kernel only passes null for a parameter given without a value if its operations have the
    // `KERNEL_PARAM_OPS_FL_NOARG` flag, which ours do not have; check anyway.
    if val.is_null() {
        return EINVAL.to_errno();
    }

    // SAFETY: `val` is not null, so by the safety requirements it points to a `NUL`-terminated
    // string valid for reads for the duration of the call, which is the lifetime of `arg`.
    let arg = unsafe { CStr::from_char_ptr(val) };
    match T::try_from_param_arg(arg) {
        Ok(value) => {
            // SAFETY: By the safety requirements, `param` is valid for reads and its `arg` is the
            // active field of the union.
            let access = unsafe { (*param).__bindgen_anon_1.arg }.cast::<ModuleParamAccess<T>>();
            // SAFETY: By the safety requirements, `access` points to a `ModuleParamAccess<T>` that
            // nobody else accesses during the call, so writing its value cannot race with a read
            // or invalidate a reference. This upholds the invariants of `ModuleParamAccess`.
            unsafe { *(*access).value.get() = value };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Writes the value of the parameter `param` of type `T` to `buf`, followed by a newline.
///
/// This is the `get` operation of [`ParamOps<T>`], which the kernel calls when the parameter's
/// sysfs file is read. Returns the number of bytes written.
///
/// # Safety
///
/// - `buf` must be valid for writes of `PAGE_SIZE` bytes for the duration of the call.
/// - `param` must point to a `kernel_param` valid for reads whose `arg` points to a
///   [`ModuleParamAccess<T>`] valid for reads for the duration of the call.
unsafe extern "C" fn get_param<T: ModuleParam>(
    buf: *mut c_char,
    param: *const bindings::kernel_param,
) -> c_int {
    // SAFETY: By the safety requirements, `param` is valid for reads, its `arg` is the active
    // field of the union and points to a `ModuleParamAccess<T>` valid for reads during the call.
    let access = unsafe { &*(*param).__bindgen_anon_1.arg.cast::<ModuleParamAccess<T>>() };
    // SAFETY: By the safety requirements, `buf` is valid for writes of `PAGE_SIZE` bytes for the
    // duration of the call, which `f` does not outlive.
    let mut f = unsafe { Formatter::from_buffer(buf.cast(), PAGE_SIZE) };
    if writeln!(f, "{}", access.value()).is_err() {
        return ENOSPC.to_errno();
    }
    // `Formatter` fails rather than write more than `PAGE_SIZE` bytes, which fits in a `c_int`.
    c_int::try_from(f.bytes_written()).unwrap_or_else(|_| ENOSPC.to_errno())
}

/// The operations of the module parameters of type `T`, i.e. how the kernel sets and shows them.
///
/// There is one for each type that implements [`ModuleParam`]: `PARAM_OPS_I8`, `PARAM_OPS_U32`...
///
/// # Invariants
///
/// The `set` and `get` operations parse and format values of type `T`: `arg` of the
/// `kernel_param` they are given must point to a [`ModuleParamAccess<T>`].
#[repr(transparent)]
pub struct ParamOps<T> {
    ops: bindings::kernel_param_ops,
    _type: PhantomData<T>,
}

impl<T: ModuleParam> ParamOps<T> {
    /// Creates the operations of the module parameters of type `T`.
    #[inline]
    const fn new() -> Self {
        // INVARIANT: `set_param::<T>` and `get_param::<T>` parse and format values of type `T`
        // and require `arg` to point to a `ModuleParamAccess<T>`.
        Self {
            ops: bindings::kernel_param_ops {
                flags: 0,
                set: Some(set_param::<T>),
                get: Some(get_param::<T>),
                free: None,
            },
            _type: PhantomData,
        }
    }
}

macro_rules! make_param_ops {
    ($($ops:ident: $t:ty;)*) => {$(
        #[doc = concat!("The operations of `", stringify!($t), "` module parameters.")]
        pub static $ops: ParamOps<$t> = ParamOps::new();
    )*};
}

make_param_ops! {
    PARAM_OPS_I8: i8;
    PARAM_OPS_U8: u8;
    PARAM_OPS_I16: i16;
    PARAM_OPS_U16: u16;
    PARAM_OPS_I32: i32;
    PARAM_OPS_U32: u32;
    PARAM_OPS_I64: i64;
    PARAM_OPS_U64: u64;
    PARAM_OPS_ISIZE: isize;
    PARAM_OPS_USIZE: usize;
}

/// The `__param` section entry of a module parameter, i.e. a `struct kernel_param`.
///
/// [`bindings::kernel_param`] holds raw pointers, so is not [`Sync`] and cannot be a `static` on
/// its own; this wrapper can.
///
/// # Invariants
///
/// The wrapped `kernel_param` has:
/// - an `arg` pointing to a `'static` [`ModuleParamAccess<T>`] and `ops` pointing to the
///   operations of a [`ParamOps<T>`], for the same `T`;
/// - a `perm` of `0444`, which gives the parameter a sysfs file without a `store` operation: the
///   kernel never calls `set` after it has parsed the module's arguments.
#[repr(transparent)]
pub struct RacyKernelParam(bindings::kernel_param);

// SAFETY: Rust code never accesses the wrapped `kernel_param` after creating it; the kernel only
// reads it, under its own locking.
unsafe impl Sync for RacyKernelParam {}

impl RacyKernelParam {
    /// Creates the `__param` section entry of the parameter `param`, named `name`, of `module`.
    ///
    /// The kernel writes to `param` through this entry when it parses the module's arguments:
    /// at boot for a built-in module, before any initcall runs; when it loads a loadable module,
    /// before calling its init function. It does so before it creates the parameter's sysfs file,
    /// and holding the lock it holds when it reads the parameter for that file.
    ///
    /// # Safety
    ///
    /// - The returned value may only be placed in the `__param` section of the module `module`
    ///   (with `#[link_section = "__param"]`), and `module` must be a valid `THIS_MODULE` pointer
    ///   (null for a built-in module).
    /// - `param` must not be accessed before that module's init function is called, e.g. be
    ///   defined in the module's crate and only accessible to its code.
    /// - `name` must be the name of the parameter, prefixed by `"<module name>."` for a built-in
    ///   module.
    #[inline]
    pub const unsafe fn new<T: ModuleParam>(
        name: &'static CStr,
        module: *mut bindings::module,
        ops: &'static ParamOps<T>,
        param: &'static ModuleParamAccess<T>,
    ) -> Self {
        // INVARIANT: `param` and `ops` are for the same `T` and `perm` is `0444`.
        Self(bindings::kernel_param {
            name: name.as_char_ptr(),
            mod_: module,
            ops: &ops.ops,
            perm: 0o444,
            // The level of `module_param()`: the kernel sets built-in modules' parameters before
            // any initcall.
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: ptr::from_ref(param).cast_mut().cast(),
            },
        })
    }
}
