//! Keeps the thread that reads a file ahead off the core of the thread that
//! walks it (on Linux; elsewhere nothing is done).
//!
//! The two threads hand batches to each other, and each hand-over may wake
//! the other. Linux's scheduler then sometimes puts both on one core and
//! leaves them there while the other core idles: measured on a 2-core
//! machine, launched from a shell (`sh -c`), one run in four had both
//! threads on the same core for part or all of the run, and took 28–35 ms
//! instead of 22 (BENCHMARKS.md, issue 21). So the walker says which core
//! it is on at every batch it takes, and whether it had to wait for that
//! batch; after every window it sends, the reader moves off the walker's
//! core if it is on it and the walker did not wait (both threads have
//! work): it narrows its own affinity to the cores it was allowed, less
//! the walker's. A core the walker later moves to is left the same way.
//! When the walker waits for the reader (long attribute values), the two
//! are left where the scheduler put them: a walker that mostly sleeps
//! costs its core little, and moving off would cost the hand-overs more
//! (measured: 7.7 against 7.1 ms on 10 MB).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The core the walking thread was on when it last took a batch (-1: not
/// known yet), and whether it waited for that batch (the lowest bit).
#[derive(Clone)]
pub(super) struct WalkerCore(Arc<AtomicI64>);

impl WalkerCore {
    pub(super) fn new() -> WalkerCore {
        // Core -1 (not known), not waited.
        WalkerCore(Arc::new(AtomicI64::new(-2)))
    }

    /// Called by the walking thread when it took a batch.
    pub(super) fn note(&self, waited: bool) {
        let core = i64::from(current_core());
        self.0
            .store(core * 2 + i64::from(waited), Ordering::Relaxed);
    }

    /// Whether the walker waited for the last batch it took.
    pub(super) fn waited(&self) -> bool {
        self.0.load(Ordering::Relaxed) & 1 == 1
    }

    /// The walker's core, unless it waited for its last batch.
    fn busy_on(&self) -> Option<i32> {
        let state = self.0.load(Ordering::Relaxed);
        let (core, waited) = (state >> 1, state & 1 == 1);
        (!waited).then(|| i32::try_from(core).ok()).flatten()
    }
}

/// The reading thread's side: the cores it may run on.
pub(super) struct KeepApart {
    walker: WalkerCore,
    #[cfg(target_os = "linux")]
    allowed: Option<libc::cpu_set_t>,
}

impl KeepApart {
    /// Called on the reading thread.
    pub(super) fn new(walker: WalkerCore) -> KeepApart {
        KeepApart {
            walker,
            #[cfg(target_os = "linux")]
            allowed: linux::affinity(),
        }
    }

    /// Moves this thread to another core if it is on the core of a busy
    /// walker.
    pub(super) fn check(&mut self) {
        let shared = self
            .walker
            .busy_on()
            .filter(|&walker| walker >= 0 && current_core() == walker);
        #[cfg(target_os = "linux")]
        if let (Some(walker), Some(allowed)) = (shared, &self.allowed) {
            linux::leave(allowed, walker);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = shared;
    }
}

/// The core this thread is on (-1 where that cannot be known).
fn current_core() -> i32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: no arguments; it returns -1 on failure.
        unsafe { libc::sched_getcpu() }
    }
    #[cfg(not(target_os = "linux"))]
    {
        -1
    }
}

#[cfg(target_os = "linux")]
mod linux {
    /// The cores this thread may run on, as the process started it.
    pub(super) fn affinity() -> Option<libc::cpu_set_t> {
        // SAFETY: `cpu_set_t` is plain data (all zeros is the empty set);
        // the kernel writes at most `size_of::<cpu_set_t>()` bytes into it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            (libc::sched_getaffinity(0, size, &mut set) == 0).then_some(set)
        }
    }

    /// Narrows this thread's cores to `allowed` less `core`, if any are left.
    pub(super) fn leave(allowed: &libc::cpu_set_t, core: i32) {
        let Ok(core) = usize::try_from(core) else {
            return;
        };
        if core >= 8 * std::mem::size_of::<libc::cpu_set_t>() {
            return;
        }
        let mut set = *allowed;
        // SAFETY: `core` is within the set (checked above); the set is
        // `size_of::<cpu_set_t>()` bytes, which is what the kernel reads.
        unsafe {
            libc::CPU_CLR(core, &mut set);
            if libc::CPU_COUNT(&set) == 0 {
                return;
            }
            // A failure leaves the thread where it is, as before.
            let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The cores in `set`, and whether `core` is one.
    fn count(set: &libc::cpu_set_t, core: i32) -> (i32, bool) {
        // SAFETY: a set of `size_of::<cpu_set_t>()` bytes; `core` comes
        // from `sched_getcpu`, below the set's size on these machines.
        unsafe {
            let core = usize::try_from(core).expect("a core");
            (libc::CPU_COUNT(set), libc::CPU_ISSET(core, set))
        }
    }

    #[test]
    fn a_reader_on_a_busy_walkers_core_moves_off_it_and_not_off_a_waiting_one() {
        // On a thread of its own: the test narrows that thread's cores.
        std::thread::spawn(|| {
            let walker = WalkerCore::new();
            let mut apart = KeepApart::new(walker.clone());
            let allowed = apart.allowed.expect("the thread's cores");
            // Held on one core, so that it cannot move by itself.
            let core = current_core();
            let mut one = allowed;
            // SAFETY: as in `count`.
            unsafe {
                libc::CPU_ZERO(&mut one);
                libc::CPU_SET(usize::try_from(core).unwrap(), &mut one);
                assert_eq!(
                    libc::sched_setaffinity(0, std::mem::size_of_val(&one), &one),
                    0
                );
            }
            // A walker that waited, on this very core: left alone.
            walker.note(true);
            apart.check();
            assert_eq!(count(&linux::affinity().unwrap(), core), (1, true));
            // A busy walker on this core: this thread leaves it for the
            // others it was allowed, if there are any.
            walker.note(false);
            apart.check();
            let cores = count(&allowed, core).0;
            let now = count(&linux::affinity().unwrap(), core);
            if cores > 1 {
                assert_eq!(now, (cores - 1, false));
                assert_ne!(current_core(), core);
            } else {
                assert_eq!(now, (1, true));
            }
        })
        .join()
        .unwrap();
    }
}
