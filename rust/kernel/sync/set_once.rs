// SPDX-License-Identifier: GPL-2.0

//! A container that can be set once.

use core::{
    cell::UnsafeCell,
    mem::MaybeUninit,
    sync::atomic::{AtomicU32, Ordering},
};

/// The states of a [`SetOnce`].
const EMPTY: u32 = 0;
const BEING_SET: u32 = 1;
const SET: u32 = 2;

/// A container that holds a value once it has been set, and can be set only once.
///
/// Any number of threads may try to set it at the same time; one of them succeeds, and the value
/// can be read from any thread once it is set.
///
/// # Examples
///
/// ```
/// use kernel::sync::SetOnce;
///
/// let value = SetOnce::new();
/// assert_eq!(value.as_ref(), None);
/// assert!(value.populate(42u8));
/// assert_eq!(value.as_ref(), Some(&42));
/// // It keeps the first value.
/// assert!(!value.populate(7));
/// assert_eq!(value.copy(), Some(42));
/// ```
///
/// # Invariants
///
/// - `value` is initialised if and only if `state` is `SET`.
/// - Once `state` is `SET`, it stays `SET` and `value` is never written again.
/// - `value` is only written by the thread that moved `state` from `EMPTY` to `BEING_SET`.
pub struct SetOnce<T> {
    state: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: `SetOnce` owns its value, so sending it sends the value.
unsafe impl<T: Send> Send for SetOnce<T> {}
// SAFETY: Threads sharing a `SetOnce` can read the value (so `T: Sync`) and set it, which moves
// a `T` made on one thread into a container another thread may own (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

impl<T> Default for SetOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> SetOnce<T> {
    /// Creates an empty container.
    #[inline]
    pub const fn new() -> Self {
        // INVARIANT: `state` is `EMPTY` and `value` is not initialised.
        Self {
            state: AtomicU32::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Returns the value, if it has been set.
    #[inline]
    pub fn as_ref(&self) -> Option<&T> {
        // The acquire pairs with the release that published the value.
        if self.state.load(Ordering::Acquire) == SET {
            // SAFETY: By the type invariants, `state` is `SET`, so `value` is initialised and is
            // never written again: a shared reference to it is valid for as long as `self`.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Sets the value to `value` if it has not been set yet.
    ///
    /// Returns whether it did: if the container was set already, or another thread is setting it,
    /// `value` is dropped and the container keeps the value it has or gets.
    #[inline]
    pub fn populate(&self, value: T) -> bool {
        if self
            .state
            .compare_exchange(EMPTY, BEING_SET, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        // SAFETY: This thread moved `state` from `EMPTY` to `BEING_SET`, so by the type invariants
        // `value` is not initialised, nobody reads it until `state` is `SET` and only this thread
        // may write it.
        unsafe { (*self.value.get()).write(value) };
        // INVARIANT: `value` is initialised just above; the release publishes it to readers.
        self.state.store(SET, Ordering::Release);
        true
    }

    /// Returns a copy of the value, if it has been set.
    #[inline]
    pub fn copy(&self) -> Option<T>
    where
        T: Copy,
    {
        self.as_ref().copied()
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == SET {
            // SAFETY: By the type invariants, `state` is `SET`, so `value` is initialised; it is
            // dropped once, here, as `self` goes away.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}
