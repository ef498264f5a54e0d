// SPDX-License-Identifier: GPL-2.0

//! The file that `release` is handed is not a `&File`, from which a reference could be taken.
// expect: E0308
// expect-text: expected `&File`, found `&ReleasingFile`

use kernel::fs::{File, ReleasingFile};

#[allow(dead_code)]
fn as_file(file: &ReleasingFile) -> &File {
    file
}
