//! The process allocator: mimalloc for small blocks, the C library's `malloc` for large ones.
//!
//! A SCIM request allocates many small JSON values and strings that die with it, which mimalloc serves with far
//! less CPU than glibc's allocator. Streaming a pass-through body is the opposite pattern: one large buffer after
//! another (a TLS record of 16 KiB for each one sent), each freed at once. glibc hands the block just freed back
//! to the next request, still in cache; mimalloc moves on through the other free blocks of its page, so every
//! record is encrypted into memory that has left the cache, and the 512 MiB download cost 1.5 × the minimal hop's
//! CPU per MiB with mimalloc against 1.04 × with glibc (docs/PERFORMANCE.md). Splitting by size keeps both.
//!
//! Rust gives `dealloc` and `realloc` the layout the block was allocated (or last reallocated) with, so the size
//! alone says which allocator owns a block; a `realloc` across the boundary moves the block between them.
//!
//! The one module allowed `unsafe`: implementing `GlobalAlloc` cannot be done without it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of at least this many bytes come from the C library's allocator.
pub const LARGE: usize = 4096;

/// The alignment every mimalloc block has, whatever its size: its size classes are multiples of a machine word,
/// and its pages start on sixteen bytes.
const WORD: usize = std::mem::align_of::<usize>();

/// mimalloc below [`LARGE`] bytes, the system allocator from there on.
#[derive(Debug, Default, Clone, Copy)]
pub struct Split;

static SMALL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The small blocks. `mimalloc::MiMalloc` takes every block through mimalloc's aligned API, whose checks and
/// slow path cost a pass-through request about 450 instructions and a SCIM read about 1,400
/// (docs/PERFORMANCE.md); a block that needs no more than [`WORD`] alignment, nearly all of them, is taken with
/// plain `mi_malloc` instead, which gives that alignment to every block. The rest go through `MiMalloc`. Every
/// block is freed with `mi_free` either way.
mod small {
    use super::{SMALL, WORD};
    use libmimalloc_sys::{mi_malloc, mi_realloc, mi_zalloc};
    use std::alloc::{GlobalAlloc as _, Layout};

    /// SAFETY: as `GlobalAlloc::alloc`.
    pub(super) unsafe fn alloc(layout: Layout) -> *mut u8 {
        // SAFETY: `mi_malloc` takes any size; `MiMalloc` is given the caller's layout.
        unsafe {
            if layout.align() <= WORD {
                mi_malloc(layout.size()).cast()
            } else {
                SMALL.alloc(layout)
            }
        }
    }

    /// SAFETY: as `GlobalAlloc::alloc_zeroed`.
    pub(super) unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if layout.align() <= WORD {
                mi_zalloc(layout.size()).cast()
            } else {
                SMALL.alloc_zeroed(layout)
            }
        }
    }

    /// SAFETY: as `GlobalAlloc::realloc`.
    pub(super) unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is a mimalloc block; `mi_realloc` keeps word alignment, which is all `layout` asks.
        unsafe {
            if layout.align() <= WORD {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                SMALL.realloc(ptr, layout, new_size)
            }
        }
    }

    /// SAFETY: as `GlobalAlloc::dealloc`.
    pub(super) unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a mimalloc block, which `MiMalloc` frees with `mi_free` whatever its alignment.
        unsafe { SMALL.dealloc(ptr, layout) }
    }
}

// SAFETY: every block is allocated, reallocated and freed by the allocator its size selects, and the size Rust
// passes back with a block is the size it was allocated or last reallocated with; both allocators uphold
// `GlobalAlloc`'s contract for the layouts they are given.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe {
            if layout.size() >= LARGE {
                System.alloc(layout)
            } else {
                small::alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if layout.size() >= LARGE {
                System.alloc_zeroed(layout)
            } else {
                small::alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `layout` is the one the block was allocated with, so its size picks the allocator that owns it.
        unsafe {
            if layout.size() >= LARGE {
                System.dealloc(ptr, layout);
            } else {
                small::dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the block is owned by the allocator `layout`'s size picks. Within one allocator the call is passed
        // on; across the boundary a block is allocated by the new owner (same alignment, `new_size` bytes, which
        // the caller guarantees is a valid layout), the smaller of the two sizes copied, and the old block freed.
        unsafe {
            match (layout.size() >= LARGE, new_size >= LARGE) {
                (true, true) => System.realloc(ptr, layout, new_size),
                (false, false) => small::realloc(ptr, layout, new_size),
                _ => {
                    let moved = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(moved);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Allocate `size` bytes filled with a pattern, grow or shrink through each size in `steps`, check the
    /// pattern survived every move, and free.
    fn round_trip(align: usize, size: usize, steps: &[usize]) {
        let layout = Layout::from_size_align(size, align).expect("layout");
        // SAFETY: every call gets the layout of the block as last (re)allocated, and the pointer is checked.
        unsafe {
            let mut ptr = Split.alloc(layout);
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % align, 0);
            for i in 0..size {
                *ptr.add(i) = (i % 251) as u8;
            }
            let mut current = layout;
            // Bytes past the smallest size so far were given up by a shrink.
            let mut kept = size;
            for &next in steps {
                kept = kept.min(next);
                ptr = Split.realloc(ptr, current, next);
                assert!(!ptr.is_null());
                assert_eq!(ptr as usize % align, 0, "alignment kept at {next} bytes");
                for i in 0..kept {
                    assert_eq!(*ptr.add(i), (i % 251) as u8, "byte {i} after moving to {next} bytes");
                }
                current = Layout::from_size_align(next, align).expect("layout");
            }
            Split.dealloc(ptr, current);
        }
    }

    #[test]
    fn blocks_keep_their_bytes_across_the_boundary_both_ways() {
        for align in [1, 2, 8, 16, 64, 4096] {
            round_trip(align, 100, &[LARGE - 1, LARGE, 3 * LARGE, LARGE - 1, 10, 5 * LARGE]);
            round_trip(align, LARGE + 7, &[LARGE - 8, 16, LARGE, 64 * 1024]);
        }
    }

    #[test]
    fn small_blocks_of_any_size_have_their_alignment() {
        for align in [1, 2, 4, 8, 16, 32, 128] {
            for size in [1, 3, 7, 8, 12, 24, 40, 100, 1000, LARGE - 1] {
                let blocks: Vec<(*mut u8, Layout)> = (0..16)
                    .map(|_| {
                        let layout = Layout::from_size_align(size.max(align), align).expect("layout");
                        // SAFETY: a valid non-zero layout; freed below with the same layout.
                        let ptr = unsafe { Split.alloc(layout) };
                        assert!(!ptr.is_null());
                        assert_eq!(ptr as usize % align, 0, "{size} bytes aligned to {align}");
                        (ptr, layout)
                    })
                    .collect();
                for (ptr, layout) in blocks {
                    // SAFETY: allocated above with this layout.
                    unsafe { Split.dealloc(ptr, layout) };
                }
            }
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_on_both_sides() {
        for size in [16, LARGE - 1, LARGE, 40_000] {
            let layout = Layout::from_size_align(size, 8).expect("layout");
            // SAFETY: freed with the layout it was allocated with.
            unsafe {
                let ptr = Split.alloc_zeroed(layout);
                assert!(!ptr.is_null());
                assert!((0..size).all(|i| *ptr.add(i) == 0));
                Split.dealloc(ptr, layout);
            }
        }
    }
}
