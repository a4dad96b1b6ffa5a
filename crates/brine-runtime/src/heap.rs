//! The heap: where every object lives (DESIGN.md section 6).
//!
//! A non-moving heap in two parts:
//! - **Pages** of [`PAGE_SIZE`] bytes, aligned to their size, each holding
//!   cells of one size class ([`SIZE_CLASSES`]). A class allocates from its
//!   free list, then by bumping through its newest page, then from a new page.
//!   Page memory starts zeroed, so a cell that was never handed out reads as
//!   [`ObjKind::Free`]; a freed cell is marked `Free` too.
//! - **Large objects** (bigger than [`MAX_SMALL`]) get their own allocation,
//!   tracked by address.
//!
//! Pages are registered by address, so [`Heap::find_object`] can tell cheaply
//! whether a word points at (or into) a live object: a check against the
//! heap's address range, then one hash lookup and a division, or a range
//! lookup for large objects. The conservative stack scan (`crate::stack`)
//! relies on it.
//!
//! The heap does not know roots or object contents: the collector
//! (`crate::gc`) sets mark bits, then calls `Heap::sweep`, which frees every
//! unmarked object (dropping its Rust-owned side tables) and clears the marks.
//! The heap also keeps the byte count that triggers collections.

use crate::object::{ObjHeader, ObjKind};
use std::alloc::{self, Layout};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;

/// Size (and alignment) of a page.
pub const PAGE_SIZE: usize = 64 * 1024;
/// The cell sizes of the size classes, in bytes.
pub const SIZE_CLASSES: [u32; 27] = [
    16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896,
    1024, 1280, 1536, 1792, 2048,
];
const NUM_CLASSES: usize = SIZE_CLASSES.len();
/// The largest object that lives in a page; bigger ones are large objects.
pub const MAX_SMALL: usize = SIZE_CLASSES[NUM_CLASSES - 1] as usize;
/// `ObjHeader::size_class` of a large object.
pub const LARGE: u8 = u8::MAX;
/// The collection threshold never drops below this many bytes.
pub const MIN_THRESHOLD: usize = 1024 * 1024;
/// After a collection, the next one comes when the heap holds this many times
/// the bytes that survived.
pub const GROWTH_FACTOR: usize = 2;
/// Empty pages kept for reuse (by any size class) instead of being returned.
const MAX_EMPTY_PAGES: usize = 16;
/// Freed memory is filled with this byte in debug builds.
const POISON: u8 = 0xDB;

/// Size class index for each size in 8-byte steps: `CLASS_OF[(size + 7) / 8]`.
const CLASS_OF: [u8; MAX_SMALL / 8 + 1] = class_table();

const fn class_table() -> [u8; MAX_SMALL / 8 + 1] {
    let mut table = [0u8; MAX_SMALL / 8 + 1];
    let mut i = 0;
    let mut class = 0;
    while i < table.len() {
        while (SIZE_CLASSES[class] as usize) < i * 8 {
            class += 1;
        }
        table[i] = class as u8;
        i += 1;
    }
    table
}

/// The size class for an object of `size` bytes, or None for a large object.
#[inline]
pub fn size_class(size: usize) -> Option<usize> {
    if size <= MAX_SMALL { Some(CLASS_OF[size.div_ceil(8)] as usize) } else { None }
}

/// A free cell: a header with kind `Free`, then the free-list link. Every
/// cell is at least 16 bytes, so the link fits.
#[repr(C)]
struct FreeCell {
    header: ObjHeader,
    next: *mut FreeCell,
}

#[derive(Copy, Clone, Debug)]
struct PageMeta {
    base: usize,
    class: u8,
    ncells: u32,
    /// Cells below this index may have been handed out; the rest are still
    /// untouched (zero). Exact for every page but a class's bump page, whose
    /// value [`Heap::sync_bump_pages`] brings up to date.
    used: u32,
}

impl PageMeta {
    fn cell_size(&self) -> usize {
        SIZE_CLASSES[self.class as usize] as usize
    }
}

/// Allocation state of one size class.
#[derive(Copy, Clone)]
struct ClassState {
    free: *mut FreeCell,
    /// Bump range `[bump, bump_end)` in the class's newest page (0, 0 if none).
    bump: usize,
    bump_end: usize,
    /// Pages of this class.
    pages: u32,
}

/// Hashes a page address (its low 16 bits are always zero).
#[derive(Default)]
struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = ((n / PAGE_SIZE) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Counters for tests and statistics.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes in use: live bytes after the last sweep plus everything
    /// allocated since.
    pub bytes_allocated: usize,
    /// The byte count at which the next collection runs.
    pub threshold: usize,
    /// Pages in use (not counting empty pages kept for reuse).
    pub pages: usize,
    pub large_objects: usize,
    /// Completed sweeps.
    pub collections: u64,
}

pub struct Heap {
    classes: [ClassState; NUM_CLASSES],
    pages: Vec<PageMeta>,
    /// Page base address to index in `pages`.
    page_index: HashMap<usize, u32, BuildHasherDefault<PageHasher>>,
    /// Empty pages kept for reuse; unregistered.
    empty_pages: Vec<*mut u8>,
    /// Large objects: address to size in bytes.
    large: BTreeMap<usize, usize>,
    /// Every page and large object ever allocated lies in `[lowest,
    /// highest)`: [`Heap::find_object`] rejects words outside at once. The
    /// range only grows (released memory just makes it loose).
    lowest: usize,
    highest: usize,
    allocated: usize,
    threshold: usize,
    collections: u64,
}

// SAFETY: the heap exclusively owns all the memory its raw pointers point
// into; nothing in it is tied to the thread that created it.
unsafe impl Send for Heap {}

fn page_layout() -> Layout {
    // PAGE_SIZE is a power of two and a multiple of its own alignment.
    Layout::from_size_align(PAGE_SIZE, PAGE_SIZE).expect("page layout")
}

fn large_layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap_or_else(|_| alloc::handle_alloc_error(Layout::new::<u64>()))
}

impl Heap {
    pub fn new() -> Heap {
        Heap {
            classes: [ClassState { free: ptr::null_mut(), bump: 0, bump_end: 0, pages: 0 }; NUM_CLASSES],
            pages: Vec::new(),
            page_index: HashMap::default(),
            empty_pages: Vec::new(),
            large: BTreeMap::new(),
            lowest: usize::MAX,
            highest: 0,
            allocated: 0,
            threshold: MIN_THRESHOLD,
            collections: 0,
        }
    }

    /// Whether allocating `size` more bytes should first run a collection.
    #[inline]
    pub fn should_collect(&self, size: usize) -> bool {
        self.allocated + size > self.threshold
    }

    pub fn stats(&self) -> HeapStats {
        HeapStats {
            bytes_allocated: self.allocated,
            threshold: self.threshold,
            pages: self.pages.len(),
            large_objects: self.large.len(),
            collections: self.collections,
        }
    }

    /// Allocates an object of `size` bytes and writes its header (kind
    /// `kind`, unmarked). The rest of the memory is uninitialized: the caller
    /// initializes every field before the next allocation. Never collects:
    /// that is the caller's decision (`Runtime::alloc`).
    #[inline]
    pub(crate) fn alloc(&mut self, size: usize, kind: ObjKind) -> *mut ObjHeader {
        debug_assert!(kind != ObjKind::Free);
        let (obj, size_class) = match size_class(size) {
            Some(class) => (self.alloc_small(class), class as u8),
            None => (self.alloc_large(size), LARGE),
        };
        // SAFETY: `obj` is a fresh cell or allocation of at least `size`
        // bytes (at least 16), 8-byte aligned.
        unsafe { obj.write(ObjHeader { kind, marked: false, size_class, flags: 0, aux: 0 }) };
        obj
    }

    #[inline]
    fn alloc_small(&mut self, class: usize) -> *mut ObjHeader {
        let cell_size = SIZE_CLASSES[class] as usize;
        self.allocated += cell_size;
        let state = &mut self.classes[class];
        if !state.free.is_null() {
            let cell = state.free;
            // SAFETY: cells on a free list are free cells of a live page,
            // whose link was written when they were put on the list.
            state.free = unsafe { (*cell).next };
            return cell.cast();
        }
        if state.bump == state.bump_end {
            self.new_page(class);
        }
        let state = &mut self.classes[class];
        let cell = state.bump;
        state.bump += cell_size;
        cell as *mut ObjHeader
    }

    /// Gives `class` a fresh page to bump through.
    fn new_page(&mut self, class: usize) {
        // The current bump page (if any) is exhausted: all its cells are used.
        let old_end = self.classes[class].bump_end;
        if old_end != 0 {
            let idx = self.page_index[&((old_end - 1) & !(PAGE_SIZE - 1))];
            let page = &mut self.pages[idx as usize];
            page.used = page.ncells;
        }
        let base = match self.empty_pages.pop() {
            Some(page) => {
                // SAFETY: a pooled page is an unregistered page of ours;
                // zeroing it makes every cell read as Free.
                unsafe { ptr::write_bytes(page, 0, PAGE_SIZE) };
                page
            }
            None => {
                // SAFETY: the layout has a non-zero size.
                let page = unsafe { alloc::alloc_zeroed(page_layout()) };
                if page.is_null() {
                    alloc::handle_alloc_error(page_layout());
                }
                page
            }
        } as usize;
        let cell_size = SIZE_CLASSES[class] as usize;
        let ncells = (PAGE_SIZE / cell_size) as u32;
        self.note_range(base, PAGE_SIZE);
        self.page_index.insert(base, self.pages.len() as u32);
        self.pages.push(PageMeta { base, class: class as u8, ncells, used: 0 });
        let state = &mut self.classes[class];
        state.bump = base;
        state.bump_end = base + ncells as usize * cell_size;
        state.pages += 1;
    }

    fn alloc_large(&mut self, size: usize) -> *mut ObjHeader {
        let size = size.next_multiple_of(8);
        let layout = large_layout(size);
        // SAFETY: the layout has a non-zero size (larger than MAX_SMALL).
        let obj = unsafe { alloc::alloc(layout) };
        if obj.is_null() {
            alloc::handle_alloc_error(layout);
        }
        self.note_range(obj as usize, size);
        self.large.insert(obj as usize, size);
        self.allocated += size;
        obj.cast()
    }

    /// Widens `[lowest, highest)` to cover `size` bytes at `start`.
    fn note_range(&mut self, start: usize, size: usize) {
        self.lowest = self.lowest.min(start);
        self.highest = self.highest.max(start + size);
    }

    /// The live object that `addr` points at or into, if any. `addr` may be
    /// any word: this is the test the conservative stack scan uses, so words
    /// outside the heap's address range are rejected with two compares.
    #[inline]
    pub fn find_object(&self, addr: usize) -> Option<*mut ObjHeader> {
        if addr < self.lowest || addr >= self.highest {
            return None;
        }
        let base = addr & !(PAGE_SIZE - 1);
        if let Some(&idx) = self.page_index.get(&base) {
            let page = &self.pages[idx as usize];
            let cell_size = page.cell_size();
            let index = (addr - base) / cell_size;
            if index >= page.ncells as usize {
                return None;
            }
            let cell = (base + index * cell_size) as *mut ObjHeader;
            // SAFETY: `cell` is a cell of a registered page. Every cell's
            // first byte is initialized: zero (never used), a free cell's
            // header, or a live object's header. Read as a byte so no
            // invalid enum value is ever formed.
            let kind = unsafe { *(cell as *const u8) };
            return (kind != ObjKind::Free as u8).then_some(cell);
        }
        let (&start, &size) = self.large.range(..=addr).next_back()?;
        (addr < start + size).then_some(start as *mut ObjHeader)
    }

    /// Brings `used` of every class's bump page up to date.
    fn sync_bump_pages(&mut self) {
        for state in &self.classes {
            if state.bump_end != 0 {
                let base = (state.bump_end - 1) & !(PAGE_SIZE - 1);
                let page = &mut self.pages[self.page_index[&base] as usize];
                page.used = ((state.bump - base) / page.cell_size()) as u32;
            }
        }
    }

    /// Frees every unmarked object and clears the marks of the others. Then
    /// sets the next collection threshold from the surviving bytes.
    ///
    /// The mark bits must have been set by a complete mark phase: every
    /// object still reachable must be marked.
    pub(crate) fn sweep(&mut self) {
        self.sync_bump_pages();
        for state in &mut self.classes {
            state.free = ptr::null_mut();
        }
        let mut live_bytes = 0;
        let mut i = 0;
        while i < self.pages.len() {
            let page = self.pages[i];
            let cell_size = page.cell_size();
            let class = page.class as usize;
            let mut head: *mut FreeCell = ptr::null_mut();
            let mut tail: *mut FreeCell = ptr::null_mut();
            let mut live = 0;
            for index in 0..page.used as usize {
                let cell = (page.base + index * cell_size) as *mut ObjHeader;
                // SAFETY: cells below `used` hold a valid header (see
                // `find_object`); a non-free one is an initialized object.
                unsafe {
                    if (*cell).kind != ObjKind::Free {
                        if (*cell).marked {
                            (*cell).marked = false;
                            live += 1;
                            continue;
                        }
                        crate::gc::finalize(cell);
                        poison(cell.cast(), cell_size);
                    }
                    let free = cell as *mut FreeCell;
                    free.write(FreeCell { header: free_header(page.class), next: head });
                    if tail.is_null() {
                        tail = free;
                    }
                    head = free;
                }
            }
            if live == 0 && self.classes[class].pages > 1 {
                self.release_page(i);
                continue;
            }
            live_bytes += live * cell_size;
            if !head.is_null() {
                // SAFETY: `tail` is the last cell of the chain just built.
                unsafe { (*tail).next = self.classes[class].free };
                self.classes[class].free = head;
            }
            i += 1;
        }
        self.large.retain(|&addr, &mut size| {
            let obj = addr as *mut ObjHeader;
            // SAFETY: every entry of `large` is a live large object.
            unsafe {
                if (*obj).marked {
                    (*obj).marked = false;
                    live_bytes += size;
                    true
                } else {
                    crate::gc::finalize(obj);
                    poison(obj.cast(), size);
                    alloc::dealloc(obj.cast(), large_layout(size));
                    false
                }
            }
        });
        self.allocated = live_bytes;
        self.threshold = (live_bytes * GROWTH_FACTOR).max(MIN_THRESHOLD);
        self.collections += 1;
    }

    /// Unregisters the empty page at `pages[i]`; keeps it for reuse or frees it.
    fn release_page(&mut self, i: usize) {
        let page = self.pages.swap_remove(i);
        self.page_index.remove(&page.base);
        if let Some(moved) = self.pages.get(i) {
            self.page_index.insert(moved.base, i as u32);
        }
        let state = &mut self.classes[page.class as usize];
        state.pages -= 1;
        if state.bump_end != 0 && (state.bump_end - 1) & !(PAGE_SIZE - 1) == page.base {
            state.bump = 0;
            state.bump_end = 0;
        }
        if self.empty_pages.len() < MAX_EMPTY_PAGES {
            self.empty_pages.push(page.base as *mut u8);
        } else {
            // SAFETY: the page was allocated with `page_layout` and nothing
            // refers to it any more (all its cells were free).
            unsafe { alloc::dealloc(page.base as *mut u8, page_layout()) };
        }
    }

    /// Calls `f` on every live object (in no particular order).
    pub fn for_each_object(&mut self, mut f: impl FnMut(*mut ObjHeader)) {
        self.sync_bump_pages();
        for page in &self.pages {
            for index in 0..page.used as usize {
                let cell = (page.base + index * page.cell_size()) as *mut ObjHeader;
                // SAFETY: as in `find_object`.
                if unsafe { *(cell as *const u8) } != ObjKind::Free as u8 {
                    f(cell);
                }
            }
        }
        for &addr in self.large.keys() {
            f(addr as *mut ObjHeader);
        }
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let mut objects = Vec::new();
        self.for_each_object(|obj| objects.push(obj));
        for obj in objects {
            // SAFETY: every object is live and is freed below, once.
            unsafe { crate::gc::finalize(obj) };
        }
        for page in &self.pages {
            // SAFETY: pages were allocated with `page_layout`.
            unsafe { alloc::dealloc(page.base as *mut u8, page_layout()) };
        }
        for (&addr, &size) in &self.large {
            // SAFETY: allocated with `large_layout(size)`.
            unsafe { alloc::dealloc(addr as *mut u8, large_layout(size)) };
        }
        for &page in &self.empty_pages {
            // SAFETY: pooled pages were allocated with `page_layout`.
            unsafe { alloc::dealloc(page, page_layout()) };
        }
    }
}

fn free_header(class: u8) -> ObjHeader {
    ObjHeader { kind: ObjKind::Free, marked: false, size_class: class, flags: 0, aux: 0 }
}

/// In debug builds, fills freed memory with a pattern so that a use after
/// free reads garbage (and a header of kind `Free` once the cell is relinked).
///
/// # Safety
/// `mem` must be valid for writes of `size` bytes.
unsafe fn poison(mem: *mut u8, size: usize) {
    if cfg!(debug_assertions) {
        // SAFETY: the caller's contract.
        unsafe { ptr::write_bytes(mem, POISON, size) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(obj: *mut ObjHeader) {
        // SAFETY: tests only mark live objects they allocated.
        unsafe { (*obj).marked = true };
    }

    #[test]
    fn size_classes_cover_every_size() {
        for size in 0..=MAX_SMALL {
            let class = size_class(size).unwrap();
            assert!(SIZE_CLASSES[class] as usize >= size.max(16));
            if class > 0 {
                assert!((SIZE_CLASSES[class - 1] as usize) < size);
            }
        }
        assert_eq!(size_class(MAX_SMALL + 1), None);
        assert!(SIZE_CLASSES.iter().all(|&s| s % 8 == 0));
    }

    #[test]
    fn find_object_on_starts_and_interior_pointers() {
        let mut heap = Heap::new();
        let a = heap.alloc(40, ObjKind::Cell);
        let b = heap.alloc(40, ObjKind::Cell);
        let big = heap.alloc(10_000, ObjKind::Array);
        assert_eq!(a as usize % 8, 0);
        assert_eq!(big as usize % 8, 0);
        assert!((a as usize) < 1 << 48);
        assert_eq!(heap.find_object(a as usize), Some(a));
        assert_eq!(heap.find_object(a as usize + 17), Some(a));
        assert_eq!(heap.find_object(a as usize + 39), Some(a));
        assert_eq!(heap.find_object(b as usize + 3), Some(b));
        // The cell after `b` was never handed out.
        assert_eq!(heap.find_object(b as usize + 40), None);
        assert_eq!(heap.find_object(big as usize), Some(big));
        assert_eq!(heap.find_object(big as usize + 9_999), Some(big));
        assert_eq!(heap.find_object(big as usize + 10_000), None);
        assert_eq!(heap.find_object(0), None);
        assert_eq!(heap.find_object(usize::MAX), None);
        assert_eq!(heap.find_object(&heap as *const Heap as usize), None);
    }

    #[test]
    fn sweep_frees_unmarked_and_reuses_cells() {
        let mut heap = Heap::new();
        let keep: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
        let garbage: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
        let big_keep = heap.alloc(5000, ObjKind::Array);
        let big_garbage = heap.alloc(5000, ObjKind::Array);
        keep.iter().for_each(|&o| mark(o));
        mark(big_keep);
        heap.sweep();
        for &o in &keep {
            assert_eq!(heap.find_object(o as usize + 8), Some(o));
            // SAFETY: `o` survived the sweep.
            assert!(!unsafe { (*o).marked });
        }
        for &o in &garbage {
            assert_eq!(heap.find_object(o as usize), None);
        }
        assert_eq!(heap.find_object(big_keep as usize + 100), Some(big_keep));
        assert_eq!(heap.find_object(big_garbage as usize + 100), None);
        assert_eq!(heap.stats().bytes_allocated, 100 * 32 + 5000usize.next_multiple_of(8));
        // Freed cells are handed out again before any new memory.
        let pages = heap.stats().pages;
        let again: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
        for o in &again {
            assert!(garbage.contains(o));
        }
        assert_eq!(heap.stats().pages, pages);
    }

    #[test]
    fn empty_pages_are_released_and_reused() {
        let mut heap = Heap::new();
        let per_page = PAGE_SIZE / 16;
        let objs: Vec<_> = (0..per_page * 5).map(|_| heap.alloc(16, ObjKind::Cell)).collect();
        assert_eq!(heap.stats().pages, 5);
        mark(objs[0]);
        heap.sweep();
        assert_eq!(heap.stats().pages, 1);
        assert_eq!(heap.find_object(objs[0] as usize), Some(objs[0]));
        // A pooled page serves another size class, zeroed.
        let other: Vec<_> = (0..10).map(|_| heap.alloc(100, ObjKind::Cell)).collect();
        assert_eq!(heap.stats().pages, 2);
        assert_eq!(heap.find_object(other[9] as usize + 112), None);
        heap.sweep();
        assert_eq!(heap.stats().pages, 2, "the last page of a class is kept");
        assert_eq!(heap.find_object(objs[1] as usize), None);
    }

    #[test]
    fn threshold_follows_live_size() {
        let mut heap = Heap::new();
        assert_eq!(heap.stats().threshold, MIN_THRESHOLD);
        let objs: Vec<_> = (0..40).map(|_| heap.alloc(100_000, ObjKind::Array)).collect();
        assert!(heap.should_collect(0));
        objs.iter().for_each(|&o| mark(o));
        heap.sweep();
        assert_eq!(heap.stats().threshold, 2 * 40 * 100_000);
        heap.sweep();
        assert_eq!(heap.stats().threshold, MIN_THRESHOLD);
        assert_eq!(heap.stats().large_objects, 0);
        assert_eq!(heap.stats().collections, 2);
    }
}
