// SPDX-License-Identifier: GPL-2.0

//! The file that `release` is handed cannot be turned into a new reference.
// expect: E0277
// expect-text: the trait `From<&ReleasingFile>` is not implemented for `ARef<kernel::fs::File>`

use kernel::{
    fs::{File, ReleasingFile},
    types::ARef,
};

#[allow(dead_code)]
fn resurrect(file: &ReleasingFile) -> ARef<File> {
    ARef::from(file)
}
