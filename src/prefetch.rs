//! A hint to the processor to bring a cache line in ahead of its use.
//! Loads that wait on each other (a record header whose length finds the
//! next one) stall one by one; prefetches do not wait, so several can be
//! on their way at once.

/// Asks for the cache line holding `value`.
pub fn prefetch<T>(value: &T) {
    prefetch_address(std::ptr::from_ref(value).cast::<u8>());
}

/// Asks for the cache line holding the byte at `address`, which may lie
/// anywhere: the address is never dereferenced.
#[cfg(target_arch = "x86_64")]
pub fn prefetch_address(address: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is a hint: it reads nothing into the program and
    // cannot fault, whatever the address. (`_mm_prefetch` is `unsafe` only
    // as a `target_feature` function; SSE is part of every x86-64
    // processor.)
    #[allow(unsafe_code)]
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
}

/// Asks for every cache line of `value`, up to `MAX_LINES` of them.
pub fn prefetch_lines<T: ?Sized>(value: &T) {
    let start = std::ptr::from_ref(value).cast::<u8>();
    let len = std::mem::size_of_val(value).min(MAX_LINES * 64);
    for offset in (0..len).step_by(64) {
        prefetch_address(start.wrapping_add(offset));
    }
}

/// Most lines `prefetch_lines` asks for: the processor keeps only so many
/// misses on their way at once.
const MAX_LINES: usize = 8;

/// Elsewhere a no-op.
#[cfg(not(target_arch = "x86_64"))]
pub fn prefetch_address(_address: *const u8) {}
