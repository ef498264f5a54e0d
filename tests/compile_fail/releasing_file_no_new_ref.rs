// SPDX-License-Identifier: GPL-2.0

//! The file that `release` is handed cannot be turned into a new reference.
// expect: E0277
// expect-text: the trait bound `kernel::fs::ReleasingFile: kernel::types::AlwaysRefCounted` is not satisfied

use kernel::{fs::ReleasingFile, types::ARef};

#[allow(dead_code)]
fn resurrect(file: &ReleasingFile) -> ARef<ReleasingFile> {
    ARef::from(file)
}
