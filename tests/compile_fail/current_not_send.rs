// SPDX-License-Identifier: GPL-2.0

//! A `&CurrentTask` cannot be sent to another thread, where `mm()` would read the wrong task.
// expect: E0277
// expect-text: within `kernel::task::CurrentTask`, the trait `core::marker::Sync` is not implemented

use kernel::prelude::*;

module! {
    type: Case,
    name: "current_not_send",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Case)
    }
}

#[allow(dead_code)]
fn send() {
    fn assert_send<T: Send>(_: T) {}
    assert_send(current!());
}
