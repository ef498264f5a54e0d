// SPDX-License-Identifier: GPL-2.0

//! A `&CurrentTask` cannot be sent to another thread, where `mm()` would read the wrong task.
// expect: E0277
// expect-text: within `kernel::task::CurrentTask`, the trait `core::marker::Sync` is not implemented

use kernel::prelude::*;

#[allow(dead_code)]
fn send() {
    fn assert_send<T: Send>(_: T) {}
    assert_send(current!());
}
