// SPDX-License-Identifier: GPL-2.0

//! KUnit cases written in Rust that fail on purpose.
//!
//! They show that `#[kunit_tests]` reports a failed case: kunit.py, run with
//! `--filter module=rust_xfail_test`, must report exactly the cases whose names start with `fails_`
//! as failed, `passes` as passed and `configured_out` as skipped. This crate has no `module!`, so
//! it also shows that the macro needs nothing `module!` defines.

use kernel::prelude::*;

#[kunit_tests(rust_kunit_xfail)]
mod rust_kunit_xfail {
    use kernel::prelude::*;

    #[test]
    fn fails_assert() {
        let one = core::hint::black_box(1);
        assert!(one == 2);
    }

    #[test]
    fn fails_assert_eq() {
        assert_eq!(core::hint::black_box(1 + 1), 3);
    }

    #[test]
    fn fails_with_err() -> Result {
        Err(EINVAL)
    }

    #[test]
    fn fails_after_passing_asserts() {
        assert!(core::hint::black_box(true));
        assert_eq!(2, 2);
        assert!(core::hint::black_box(false));
    }

    #[test]
    fn passes() -> Result {
        assert_eq!(2 + 2, 4);
        Ok(())
    }

    // `CONFIG_RUST_KUNIT_XFAIL_TEST` is set, since this crate is built, so its negation is not.
    #[cfg(not(CONFIG_RUST_KUNIT_XFAIL_TEST))]
    #[test]
    fn configured_out() {
        assert!(false);
    }
}
