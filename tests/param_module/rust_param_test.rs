// SPDX-License-Identifier: GPL-2.0

//! Module parameters of a loadable Rust module.
//!
//! The guest tests load this module with and without arguments, with values out of range and with
//! values that are not numbers, and check what it prints and what sysfs shows.

use kernel::prelude::*;

module! {
    type: RustParamTest,
    name: "rust_param_test",
    author: "Rust for Linux Contributors",
    description: "Module parameters of a loadable Rust module",
    license: "GPL",
    params: {
        small: i8 {
            default: -3,
            description: "A signed byte",
        },
        count: u32 {
            default: 16,
            description: "An unsigned int",
        },
        big: u64 {
            default: 1099511627776,
            description: "An unsigned 64-bit value",
        },
        offset: isize {
            default: -4096,
            description: "A signed pointer-sized value",
        },
    },
}

struct RustParamTest;

impl kernel::Module for RustParamTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "small={} count={} big={} offset={}\n",
            *module_parameters::small.value(),
            *module_parameters::count.value(),
            *module_parameters::big.value(),
            *module_parameters::offset.value()
        );
        Ok(RustParamTest)
    }
}
