// SPDX-License-Identifier: GPL-2.0

//! Integer parsing functions.
//!
//! Integers are parsed from strings in the notation of Rust and C integer literals: an optional
//! `-`, then a prefix that gives the radix (`0x` or `0X` for 16, `0o`, `0O` or just `0` for 8,
//! `0b` or `0B` for 2, none for 10) and the digits. An optional `+` may come first instead of
//! the `-`, as for `kstrtol()`; unlike it, there is no trailing newline.

use crate::{
    error::{code::EINVAL, Result},
    str::BStr,
};

mod private {
    /// Keeps [`ParseInt`](super::ParseInt) to the integer types of this module.
    pub trait Sealed {}
}

/// Splits `digits` into its radix and the digits that follow its radix prefix.
///
/// A lone `0` is octal and keeps its digit, so that `"0"` parses as zero.
fn strip_radix(digits: &[u8]) -> (u32, &[u8]) {
    match digits {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', ..] => (8, digits),
        _ => (10, digits),
    }
}

/// Parses `src` into its sign (`true` if negative) and its magnitude.
fn sign_and_magnitude(src: &BStr) -> Result<(bool, u64)> {
    let (negative, rest) = match &**src {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    let (radix, digits) = strip_radix(rest);
    // `from_str_radix` would take a sign of its own: `-+5`, `0x+5`.
    if !digits.first().is_some_and(u8::is_ascii_alphanumeric) {
        return Err(EINVAL);
    }
    let digits = core::str::from_utf8(digits).map_err(|_| EINVAL)?;
    let magnitude = u64::from_str_radix(digits, radix).map_err(|_| EINVAL)?;
    Ok((negative, magnitude))
}

/// Integers that can be parsed from a string.
///
/// See the [module documentation](self) for the notation. A value that does not fit in the type
/// is an error ([`EINVAL`]), as is anything that is not a number.
///
/// # Examples
///
/// ```
/// use kernel::{b_str, prelude::*, str::parse_int::ParseInt};
///
/// assert_eq!(u8::from_str(b_str!("0")), Ok(0));
/// assert_eq!(u8::from_str(b_str!("0xa2")), Ok(0xa2));
/// assert_eq!(i32::from_str(b_str!("-0xa2")), Ok(-0xa2));
/// assert_eq!(i8::from_str(b_str!("-0o57")), Ok(-0o57));
/// assert_eq!(i8::from_str(b_str!("057")), Ok(0o57));
/// assert_eq!(i16::from_str(b_str!("0b1001")), Ok(0b1001));
/// assert_eq!(i8::from_str(b_str!("127")), Ok(127));
/// assert_eq!(i8::from_str(b_str!("128")), Err(EINVAL));
/// assert_eq!(i8::from_str(b_str!("-128")), Ok(-128));
/// assert_eq!(i8::from_str(b_str!("-129")), Err(EINVAL));
/// assert_eq!(u8::from_str(b_str!("256")), Err(EINVAL));
/// assert_eq!(u16::from_str(b_str!("-1")), Err(EINVAL));
/// assert_eq!(i64::from_str(b_str!("-9223372036854775808")), Ok(i64::MIN));
/// assert_eq!(u64::from_str(b_str!("18446744073709551615")), Ok(u64::MAX));
/// assert_eq!(u32::from_str(b_str!("08")), Err(EINVAL));
/// assert_eq!(u32::from_str(b_str!("0x")), Err(EINVAL));
/// assert_eq!(u32::from_str(b_str!("16 pages")), Err(EINVAL));
/// assert_eq!(u32::from_str(b_str!("")), Err(EINVAL));
/// assert_eq!(u32::from_str(b_str!("+0x10")), Ok(16));
/// assert_eq!(i32::from_str(b_str!("-+5")), Err(EINVAL));
/// assert_eq!(u32::from_str(b_str!("0x+5")), Err(EINVAL));
/// ```
pub trait ParseInt: private::Sealed + Sized {
    /// Parses `src` as an integer of this type.
    fn from_str(src: &BStr) -> Result<Self>;
}

macro_rules! impl_parse_int {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}

        impl ParseInt for $t {
            #[inline]
            fn from_str(src: &BStr) -> Result<Self> {
                let (negative, magnitude) = sign_and_magnitude(src)?;
                if negative {
                    // `-2^63` is the most negative value of any of these types; its magnitude
                    // does not fit in `i64`, but its wrapping negation is `i64::MIN` itself.
                    if magnitude > 1 << 63 {
                        return Err(EINVAL);
                    }
                    <$t>::try_from((magnitude as i64).wrapping_neg()).map_err(|_| EINVAL)
                } else {
                    <$t>::try_from(magnitude).map_err(|_| EINVAL)
                }
            }
        }
    )*};
}

impl_parse_int!(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize);
