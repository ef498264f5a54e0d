// SPDX-License-Identifier: GPL-2.0

//! Utilities for working with `struct poll_table`.
//!
//! C header: [`include/linux/poll.h`](srctree/include/linux/poll.h)

use crate::{
    bindings,
    fs::File,
    prelude::*,
    sync::{CondVar, LockClassKey},
};
use core::{marker::PhantomData, ops::Deref};

/// Creates a [`PollCondVar`] initialiser with the given name and a newly-created lock class.
#[macro_export]
macro_rules! new_poll_condvar {
    ($($name:literal)?) => {
        $crate::sync::poll::PollCondVar::new(
            $crate::optional_name!($($name)?), $crate::static_lock_class!()
        )
    };
}

/// There is data to read: `EPOLLIN`, a bit of what a `poll` callback returns.
pub const POLLIN: u32 = bindings::POLLIN;
/// There is normal data to read: `EPOLLRDNORM`.
pub const POLLRDNORM: u32 = bindings::POLLRDNORM;

/// Wraps the kernel's `poll_table`.
///
/// # Invariants
///
/// The pointer is null or points at a valid `poll_table` for the lifetime `'a`.
pub struct PollTable<'a> {
    table: *mut bindings::poll_table,
    _lifetime: PhantomData<&'a bindings::poll_table>,
}

impl<'a> PollTable<'a> {
    /// Creates a [`PollTable`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// The pointer must be null or reference a valid `poll_table` for the duration of `'a`; a
    /// file's `poll` callback is given one that is.
    pub unsafe fn from_raw(table: *mut bindings::poll_table) -> Self {
        // INVARIANT: The safety requirements are the same as the struct invariants.
        PollTable {
            table,
            _lifetime: PhantomData,
        }
    }

    /// Register this [`PollTable`] with the provided [`PollCondVar`], so that it can be notified
    /// using the condition variable.
    ///
    /// # Safety
    ///
    /// `cv` must not be dropped while a `select()` or `poll()` call that this registers it for is
    /// still running; keeping `cv` alive as long as `file` (in its private data, which lives until
    /// `release`) is enough, since such a call holds a reference to the file. (Mainline's is a safe
    /// function: a `PollCondVar` drop only removes the entries of epoll, so one dropped during a
    /// `select()` leaves it an entry on freed memory.)
    pub unsafe fn register_wait(&self, file: &File, cv: &PollCondVar) {
        // SAFETY:
        // * `file.as_ptr()` references a valid file for the duration of this call.
        // * `self.table` is null or references a valid `poll_table` for the duration of this
        //   call, by the type invariants.
        // * The wait queue head outlives the entry that `poll_wait` may add to it: `select()` and
        //   `poll()` remove theirs before they return, and `cv` outlives them by the safety
        //   requirements; epoll removes its own when the file is released, or when a
        //   `PollCondVar` is dropped (`__wake_up_pollfree`), which then waits for an RCU grace
        //   period before its memory can go.
        unsafe { bindings::poll_wait(file.as_ptr(), cv.wait_queue_head.get(), self.table) }
    }
}

/// A wrapper around [`CondVar`] that makes it usable with [`PollTable`].
///
/// Dropping it sleeps (for an RCU grace period), so it must not be dropped in atomic context.
///
/// [`CondVar`]: crate::sync::CondVar
#[pin_data(PinnedDrop)]
pub struct PollCondVar {
    #[pin]
    inner: CondVar,
}

impl PollCondVar {
    /// Constructs a new condvar initialiser.
    pub fn new(name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- CondVar::new(name, key),
        })
    }
}

// Make the `CondVar` methods callable on `PollCondVar`.
impl Deref for PollCondVar {
    type Target = CondVar;

    fn deref(&self) -> &CondVar {
        &self.inner
    }
}

#[pinned_drop]
impl PinnedDrop for PollCondVar {
    fn drop(self: Pin<&mut Self>) {
        // Clear anything registered using `register_wait`.
        //
        // SAFETY: The pointer points at a valid `wait_queue_head`.
        unsafe { bindings::__wake_up_pollfree(self.inner.wait_queue_head.get()) };

        // Wait for epoll items to be properly removed.
        //
        // SAFETY: Just an FFI call.
        unsafe { bindings::synchronize_rcu() };
    }
}
