//! A growable vector stored in fixed-size chunks. The flow table keeps its
//! flows in one: a plain `Vec` doubles when it grows, so at any moment up
//! to half of it is reserved and unused (at the bench capture's peak of
//! 28,104 flows, 4,664 empty 256-byte slots: 1.2 MB), and each doubling
//! copies every flow while both copies are held. Chunks never move and
//! leave at most one chunk's worth unused.

/// Elements per chunk (a power of two: an index splits by shift and mask).
const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;

pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks
            .get(index >> CHUNK_BITS)
            .and_then(|c| c.get(index & (CHUNK - 1)))
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index >> CHUNK_BITS)
            .and_then(|c| c.get_mut(index & (CHUNK - 1)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_across_chunks_like_a_vec() {
        let mut v = ChunkedVec::default();
        let n = CHUNK * 2 + 3;
        for i in 0..n {
            v.push(i);
        }
        assert_eq!(v.len(), n);
        assert_eq!(v.chunks.len(), 3);
        for i in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 2] {
            assert_eq!(v.get(i), Some(&i));
        }
        assert_eq!(v.get(n), None);
        if let Some(x) = v.get_mut(CHUNK) {
            *x = 7;
        }
        assert_eq!(v.get(CHUNK), Some(&7));
        assert_eq!(v.iter().count(), n);
        assert!(v.iter().enumerate().all(|(i, x)| i == CHUNK || *x == i));
        v.clear();
        assert!(v.is_empty() && v.get(0).is_none());
    }
}
