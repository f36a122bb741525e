//! How the decode checks count allocations: a trait over the process's counting allocator.

use std::alloc::GlobalAlloc;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cap::Cap;

/// A counting global allocator, as the decode checks see it.
///
/// The checks do not reach a global of their own: the fuzz binaries (`fuzz/src/lib.rs`) and the
/// replay test each install a [`cap::Cap`] as `#[global_allocator]` and pass a reference to it,
/// which implements this trait. Another counting allocator works as long as it counts every
/// allocation of the process.
pub trait AllocationMeter: Sync {
    /// Bytes allocated and not yet freed.
    fn live(&self) -> usize;

    /// Bytes allocated since the process started, freed or not, counting every growth of a
    /// reallocation.
    fn total_allocated(&self) -> usize;

    /// Makes every allocation that would take [`live`](Self::live) past `limit` fail;
    /// `usize::MAX` lifts the limit.
    fn set_limit(&self, limit: usize);
}

impl<H: GlobalAlloc + Sync> AllocationMeter for Cap<H> {
    fn live(&self) -> usize {
        self.allocated()
    }

    fn total_allocated(&self) -> usize {
        Cap::total_allocated(self)
    }

    fn set_limit(&self, limit: usize) {
        // Refused only when the live total is already above the new limit; the checks set a
        // limit above the live total, and lifting it cannot be refused.
        let _ = Cap::set_limit(self, limit);
    }
}

/// One measurement at a time: the counters are global, so tests in the same process that
/// measure must not overlap.
static MEASURING: Mutex<()> = Mutex::new(());

/// Holds off other measurements; the replay test holds it for each whole test.
pub fn exclusive() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}
