// SPDX-License-Identifier: GPL-2.0

//! Support for module parameters.
//!
//! A module declares its parameters in the `params` block of the [`module!`] macro, which makes
//! a [`ModuleParamAccess`] static per parameter, readable by the module's code as
//! `module_parameters::<name>`, and gives each to the kernel with an entry in the `__param`
//! section. The kernel sets the parameters from the kernel command line
//! (`<module name>.<parameter>=<value>`) for a built-in module, from the arguments of `insmod` or
//! `modprobe` (`<parameter>=<value>`) for a loadable one, before the module is initialised. A
//! parameter can be set once: a second value for it is refused ([`EEXIST`]). As in mainline, the
//! parameters have no file in sysfs.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! [`module!`]: macros::module

use crate::{
    bindings,
    error::{code::*, from_result, Result},
    ffi::{c_char, c_int, c_void},
    str::{parse_int::ParseInt, BStr, CStr},
    sync::SetOnce,
};

/// The `__param` section entry of a module parameter, a `struct kernel_param`.
///
/// [`bindings::kernel_param`] holds raw pointers, so is not [`Sync`] and cannot be a `static` on
/// its own; this wrapper can. The [`module!`] macro makes one for each parameter.
///
/// [`module!`]: macros::module
#[repr(transparent)]
#[doc(hidden)]
pub struct KernelParam(bindings::kernel_param);

impl KernelParam {
    #[doc(hidden)]
    pub const fn new(val: bindings::kernel_param) -> Self {
        Self(val)
    }
}

// SAFETY: Rust code never accesses the wrapped `kernel_param` after creating it; the kernel only
// reads it, when it parses the module's arguments.
unsafe impl Sync for KernelParam {}

/// Types that can be used for module parameters.
///
/// # Examples
///
/// Integers are parsed as [`ParseInt`] parses them: with mainline's prefixes (`0x`, `0o`, `0b`,
/// a leading `0` for octal) and no trailing newline.
///
/// ```
/// use kernel::{b_str, module_param::ModuleParam, prelude::*};
///
/// assert_eq!(u32::try_from_param_arg(b_str!("16"))?, 16);
/// assert_eq!(u32::try_from_param_arg(b_str!("0x10"))?, 16);
/// assert_eq!(u32::try_from_param_arg(b_str!("0o20"))?, 16);
/// assert_eq!(u32::try_from_param_arg(b_str!("0b10000"))?, 16);
/// assert_eq!(u32::try_from_param_arg(b_str!("020"))?, 16);
/// assert_eq!(i8::try_from_param_arg(b_str!("-128"))?, -128);
/// assert_eq!(u8::try_from_param_arg(b_str!("256")), Err(EINVAL));
/// assert_eq!(u16::try_from_param_arg(b_str!("-1")), Err(EINVAL));
/// assert_eq!(i32::try_from_param_arg(b_str!("16 pages")), Err(EINVAL));
/// assert_eq!(u32::try_from_param_arg(b_str!("16\n")), Err(EINVAL));
/// # Ok::<(), Error>(())
/// ```
// `Copy`, so that no parameter value needs a destructor when a module goes away.
pub trait ModuleParam: Sized + Copy {
    /// Parses a parameter argument into the parameter value.
    fn try_from_param_arg(arg: &BStr) -> Result<Self>;
}

/// Sets the module parameter `param` to the value in `val`.
///
/// This is the `set` operation of the `PARAM_OPS_*` of type `T`, which the kernel calls when it
/// parses the module's arguments: at boot for a built-in module, at load time for a loadable one.
/// It fails with [`EEXIST`] if the parameter has been set already.
///
/// # Safety
///
/// - `val` must be null or point to a `NUL`-terminated string valid for reads for the duration
///   of the call.
/// - `param` must point to a `kernel_param` valid for reads whose `arg` points to a
///   [`ModuleParamAccess<T>`] valid for reads for the duration of the call, as the entries made by
///   [`module!`] do.
///
/// [`module!`]: macros::module
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
    // string valid for reads for the duration of the call, which `arg` does not outlive.
    let arg = unsafe { CStr::from_char_ptr(val) };

    from_result(|| {
        let value = T::try_from_param_arg(arg.as_ref())?;
        // SAFETY: By the safety requirements, `param` is valid for reads, `arg` is the active
        // field of its union and points to a `ModuleParamAccess<T>` valid for reads during the
        // call.
        let access = unsafe { &*(*param).__bindgen_anon_1.arg.cast::<ModuleParamAccess<T>>() };
        if access.value.populate(value) {
            Ok(0)
        } else {
            Err(EEXIST)
        }
    })
}

macro_rules! impl_int_module_param {
    ($($t:ty),*) => {$(
        impl ModuleParam for $t {
            #[inline]
            fn try_from_param_arg(arg: &BStr) -> Result<Self> {
                <$t as ParseInt>::from_str(arg)
            }
        }
    )*};
}

impl_int_module_param!(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize);

/// The value of a module parameter of type `T`.
///
/// The [`module!`] macro makes one for each parameter, as `module_parameters::<name>`; modules
/// read the value with [`value`](Self::value).
///
/// [`module!`]: macros::module
pub struct ModuleParamAccess<T> {
    value: SetOnce<T>,
    default: T,
}

// SAFETY: Shared references only read `default` and read or set `value`, which `SetOnce` makes
// safe from several threads as long as `T` is `Send` and `Sync`.
unsafe impl<T: Send + Sync> Sync for ModuleParamAccess<T> {}

impl<T> ModuleParamAccess<T> {
    #[doc(hidden)]
    pub const fn new(default: T) -> Self {
        Self {
            value: SetOnce::new(),
            default,
        }
    }

    /// Returns the value of the parameter.
    ///
    /// This is the value given on the kernel command line or to `insmod`, or the default if none
    /// was given (or if the one given was invalid, for a built-in module).
    #[inline]
    pub fn value(&self) -> &T {
        self.value.as_ref().unwrap_or(&self.default)
    }

    /// Returns a pointer to `self`, for the `arg` of the parameter's `kernel_param`.
    ///
    /// The kernel's `set` operation writes through it; Rust code must not use it to access `self`.
    pub const fn as_void_ptr(&self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

macro_rules! make_param_ops {
    ($($ops:ident: $t:ty;)*) => {$(
        #[doc = concat!("The operations of `", stringify!($t), "` module parameters.")]
        #[doc(hidden)]
        pub static $ops: bindings::kernel_param_ops = bindings::kernel_param_ops {
            flags: 0,
            set: Some(set_param::<$t>),
            // The parameters have no sysfs file (their `perm` is 0), so nothing reads them back.
            get: None,
            free: None,
        };
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
