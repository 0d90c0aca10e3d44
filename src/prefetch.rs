//! A hint to the processor to bring a cache line in ahead of its use.
//! Loads that wait on each other (a record header whose length finds the
//! next one) stall one by one; prefetches do not wait, so several can be
//! on their way at once.

/// Asks for the cache line holding `value`.
#[cfg(target_arch = "x86_64")]
pub fn prefetch<T>(value: &T) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is a hint: it reads nothing into the program and
    // cannot fault; the address is that of a live reference besides.
    // (`_mm_prefetch` is `unsafe` only as a `target_feature` function; SSE
    // is part of every x86-64 processor.)
    #[allow(unsafe_code)]
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast::<i8>());
    }
}

/// Elsewhere a no-op.
#[cfg(not(target_arch = "x86_64"))]
pub fn prefetch<T>(_value: &T) {}
