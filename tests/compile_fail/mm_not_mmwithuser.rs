// SPDX-License-Identifier: GPL-2.0

//! An `Mm` (an `mmgrab` reference) is not an `MmWithUser`: its address space may be gone.
// expect: E0308
// expect-text: expected `&MmWithUser`, found `&Mm`

use kernel::mm::{Mm, MmWithUser};

#[allow(dead_code)]
fn user(mm: &Mm) -> &MmWithUser {
    mm
}
