//! A batch written with streaming (non-temporal) stores, for data one core
//! writes and another reads. A batch comes back to its writer to be filled
//! again; by then the reader's core holds its cache lines, and an ordinary
//! store must first take each line back from that core, a wait of its own
//! for every line. Where the two cores share no cache (processors on
//! different dies, as a virtual machine's two processors are from time to
//! time), those waits took about a fifth of a two-thread run. Streaming stores
//! write around the caches without waiting for the line.

/// A `Vec` being filled with streaming stores. Its items cannot be read
/// until `into_vec`, which makes the stores visible to other threads.
pub struct StreamedBatch<T: Copy> {
    items: Vec<T>,
}

impl<T: Copy> StreamedBatch<T> {
    /// Starts filling `items` (emptied first) from the beginning.
    pub fn new(mut items: Vec<T>) -> StreamedBatch<T> {
        items.clear();
        StreamedBatch { items }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends `item`: streamed while there is room, an ordinary push when
    /// the `Vec` has to grow.
    pub fn push(&mut self, item: T) {
        if self.items.len() < self.items.capacity() {
            self.stream(item);
        } else {
            self.items.push(item);
        }
    }

    /// The batch, its stores made visible to any thread it is handed to
    /// (the fence is in `drop`, which runs before this returns).
    pub fn into_vec(mut self) -> Vec<T> {
        std::mem::take(&mut self.items)
    }

    /// Takes the batch out, leaving an empty one in its place.
    pub fn take(&mut self, next: Vec<T>) -> Vec<T> {
        std::mem::replace(self, StreamedBatch::new(next)).into_vec()
    }

    #[cfg(target_arch = "x86_64")]
    fn stream(&mut self, item: T) {
        const WORD: usize = std::mem::size_of::<u64>();
        let len = self.items.len();
        let words = std::mem::size_of::<T>() / WORD;
        // Whole words only; an item with a tail or a looser alignment is
        // pushed as usual.
        if std::mem::size_of::<T>() % WORD != 0 || std::mem::align_of::<T>() < WORD {
            self.items.push(item);
            return;
        }
        let source = std::ptr::from_ref(&item).cast::<u64>();
        // SAFETY: `len < capacity` (checked by `push`), so the slot at `len`
        // lies within the allocation and is not yet part of the `Vec`; it
        // is `align_of::<T>() >= 8` aligned and `size_of::<T>()` bytes
        // long, a whole number of words (checked above), so every word
        // written and every word read from `item` is in bounds and
        // aligned. The words are copied by the assembly, not read into
        // Rust integers: an item's padding bytes may be uninitialised, and
        // the copy keeps them as they are. `T: Copy`, so a bitwise copy is
        // a valid `T` and nothing needs dropping. `set_len` then covers a
        // slot fully written. Other threads see the items only after
        // `into_vec`, and the fence of `drop` orders the streamed stores
        // before the hand-over; this thread reads only the length
        // meanwhile.
        #[allow(unsafe_code)]
        unsafe {
            let slot = self.items.as_mut_ptr().add(len).cast::<u64>();
            for word in 0..words {
                std::arch::asm!(
                    "mov {word}, qword ptr [{from}]",
                    "movnti qword ptr [{to}], {word}",
                    from = in(reg) source.add(word),
                    to = in(reg) slot.add(word),
                    word = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
            self.items.set_len(len + 1);
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn stream(&mut self, item: T) {
        self.items.push(item);
    }
}

impl<T: Copy> Drop for StreamedBatch<T> {
    /// Every way out fences, so no streamed store is left unordered before
    /// the memory is handed on or given back to the allocator.
    fn drop(&mut self) {
        fence();
    }
}

/// Orders the streaming stores before the stores that follow.
#[cfg(target_arch = "x86_64")]
fn fence() {
    // SAFETY: `_mm_sfence` only orders stores; it is `unsafe` as a
    // `target_feature` function, and SSE is part of every x86-64 processor.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_mm_sfence();
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn fence() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Item {
        a: u64,
        b: &'static str,
        c: u32,
    }

    #[test]
    fn streamed_items_read_back_as_written_and_growth_falls_back() {
        let mut batch = StreamedBatch::new(Vec::with_capacity(3));
        let items: Vec<Item> = (0..5)
            .map(|i| Item {
                a: i * 1_000_000_007,
                b: ["x", "yz", ""][i as usize % 3],
                c: i as u32,
            })
            .collect();
        for item in &items {
            batch.push(*item);
        }
        assert_eq!(batch.len(), 5);
        let back = batch.into_vec();
        assert_eq!(back, items);
    }

    #[test]
    fn items_with_a_tail_are_pushed() {
        let mut batch = StreamedBatch::new(Vec::with_capacity(4));
        for i in 0..4u8 {
            batch.push([i, i + 1, i + 2]);
        }
        let taken = batch.take(Vec::with_capacity(4));
        assert_eq!(taken, vec![[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]);
        assert!(batch.is_empty());
    }
}
