//! The heap: where every object lives (DESIGN.md section 6).
//!
//! A non-moving heap in two parts:
//! - **Pages** of [`PAGE_SIZE`] bytes, aligned to their size, each holding
//!   cells of one size class ([`SIZE_CLASSES`]). Page memory starts zeroed,
//!   so a cell that was never handed out reads as [`ObjKind::Free`]; the
//!   sweep gives every dead cell a `Free` header too. So **the first byte of
//!   every cell of a page is a valid `ObjKind`, and `Free` unless the cell
//!   holds an object** (a live one, or, in a page not swept since the last
//!   mark phase, possibly a dead one, then unmarked): that is what
//!   [`Heap::find_object`] relies on.
//! - **Large objects** (bigger than [`MAX_SMALL`]) get their own allocation,
//!   tracked by address (the slow path).
//!
//! # Allocation
//!
//! Each size class allocates from one *current page* at a time, described by
//! a [`SizeClass`] record: a free list (the page's cells that the last sweep
//! found dead) and a bump range (the page's never-used tail). The fast path
//! (`Heap::try_alloc`) is a table lookup for the class, a pop or a bump,
//! and one 8-byte header store. When both are empty, the slow path
//! (`refill`) moves on to another page of the class with free cells, else
//! one of its pages not swept yet (sweeping it then), else an empty page (of
//! this class, else of another one, zeroed and re-formatted), else a new
//! page.
//!
//! **Pacing.** Bytes are counted when a page becomes current (its free cells
//! and untouched tail, at once), not per object: the fast path touches no
//! counter. [`Heap::should_collect`] says "collect" when a class needs a new
//! page and the count has reached the threshold. After a sweep the count is
//! the exact live size `L`, and the next threshold is `GROWTH_FACTOR * L +
//! HEADROOM` (2 L + 4 MiB, see [`next_threshold`]): the heap grows with the
//! live data, a program whose live data stays small stays within a few MiB,
//! and a collection never marks more bytes than were allocated since the
//! previous one.
//!
//! # Inline allocation from generated code
//!
//! The per-class records are an ABI, like the object layouts: the
//! `classes` array is the first field of the `#[repr(C)]` [`Heap`], at
//! [`offsets::HEAP_CLASSES`], one [`SizeClass`] every
//! [`offsets::CLASS_STRIDE`] bytes. To allocate an object of a size `S <=
//! MAX_SMALL` known when compiling, generated code computes `c =
//! size_class(S)` and `cs = SIZE_CLASSES[c]` at compile time, then, with
//! `k = heap + HEAP_CLASSES + c * CLASS_STRIDE`:
//!
//! ```text
//! cell = load [k + CLASS_FREE]
//! if cell != 0:
//!     store [k + CLASS_FREE] = load [cell + FREE_NEXT]      ; pop
//! else:
//!     cell = load [k + CLASS_BUMP]
//!     if cell == load [k + CLASS_LIMIT]: call the slow path  ; Runtime::alloc
//!     store [k + CLASS_BUMP] = cell + cs                    ; bump
//! store.u64 [cell] = header_word(kind, c)                    ; the header
//! ```
//!
//! then writes **every field** of the object before anything that can
//! collect (an allocation, a call into the runtime). The slow path is a
//! call to the runtime's allocation (`Runtime::alloc`: it collects if
//! [`Heap::should_collect`] says so, then `Heap::alloc`), which returns
//! the object with its header written. The header word is
//! kind, not marked, size class `c`, flags 0, aux 0 ([`header_word`]);
//! nothing else is written: no byte counter (pacing happens in the slow
//! path), no mark bit, no page metadata (the current page of a class is
//! always swept, so a cell handed out from it is simply live). In GC
//! stress mode ([`Heap::set_gc_stress`]) every class record stays empty, so
//! generated code always reaches the slow path, which collects. The free
//! list and the bump range are the only state generated code may touch, and
//! only in this order (free list first), so that cells are reused before
//! fresh memory is touched.
//!
//! # Collection
//!
//! The heap does not know roots or object contents: the collector
//! (`crate::gc`) sets mark bits and counts the bytes of the small objects
//! it marks. Sweeping is **lazy**: `Heap::sweep` frees the dead large
//! objects, sets the next threshold and only flags every page *unswept*. A
//! class sweeps one of its unswept pages when it needs a page to allocate
//! from, just before allocating into it (so the cells the sweep reads are
//! in the cache when they are handed out); `Heap::finish_sweep` sweeps
//! the rest when the next collection starts. Sweeping a page frees its
//! unmarked objects (dropping their Rust-owned side tables), clears the
//! marks and rebuilds its free list; a page left empty is reused from its
//! start (by its class without zeroing, or re-formatted for another class).
//! So a collection cycle sweeps each page once: time proportional to the
//! heap. In an unswept page, an unmarked object is dead: `find_object`
//! knows it. A few empty pages are kept across collections; the rest are
//! returned to the allocator.

use crate::object::{ObjHeader, ObjKind};
use std::alloc::{self, Layout};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::mem::{offset_of, size_of};
use std::ptr;
use std::time::Duration;

/// Size (and alignment) of a page.
pub const PAGE_SIZE: usize = 64 * 1024;
/// The cell sizes of the size classes, in bytes.
pub const SIZE_CLASSES: [u32; 27] = [
    16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896,
    1024, 1280, 1536, 1792, 2048,
];
/// Number of size classes.
pub const NUM_CLASSES: usize = SIZE_CLASSES.len();
/// The largest object that lives in a page; bigger ones are large objects.
pub const MAX_SMALL: usize = SIZE_CLASSES[NUM_CLASSES - 1] as usize;
/// `ObjHeader::size_class` of a large object.
pub const LARGE: u8 = u8::MAX;
/// The first collection runs when this many bytes are allocated; later
/// thresholds are never lower.
pub const MIN_THRESHOLD: usize = 4 * 1024 * 1024;
/// After a collection that left `L` live bytes, the next one runs when
/// the heap holds `GROWTH_FACTOR * L + HEADROOM` bytes.
pub const GROWTH_FACTOR: usize = 2;
/// See [`GROWTH_FACTOR`].
pub const HEADROOM: usize = 4 * 1024 * 1024;
/// Empty pages kept at a collection in any case (more when the threshold is
/// high), so that classes that run out of pages find one.
const MIN_KEPT_PAGES: usize = 4;
/// Freed memory is filled with this byte in debug builds.
const POISON: u8 = 0xDB;

/// The collection threshold after a collection that left `live` bytes.
pub fn next_threshold(live: usize) -> usize {
    live.saturating_mul(GROWTH_FACTOR).saturating_add(HEADROOM).max(MIN_THRESHOLD)
}

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

/// The cell size for each `ObjHeader::size_class` value (0 for [`LARGE`]).
const CELL_SIZE_OF: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut class = 0;
    while class < NUM_CLASSES {
        table[class] = SIZE_CLASSES[class];
        class += 1;
    }
    table
};

/// The bytes a small object takes, from its header's `size_class` (0 for a
/// large object). The mark phase adds these up for [`Heap::sweep`].
#[inline]
pub(crate) fn cell_size_of(size_class: u8) -> usize {
    CELL_SIZE_OF[size_class as usize] as usize
}

/// The size class for an object of `size` bytes, or None for a large object.
#[inline]
pub const fn size_class(size: usize) -> Option<usize> {
    if size <= MAX_SMALL { Some(CLASS_OF[size.div_ceil(8)] as usize) } else { None }
}

/// The header of a fresh object as one word: kind `kind`, not marked, size
/// class `class` (or [`LARGE`]), flags and aux 0. Generated code stores
/// this word (see the module doc).
#[inline]
pub const fn header_word(kind: ObjKind, class: u8) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[offset_of!(ObjHeader, kind)] = kind as u8;
    bytes[offset_of!(ObjHeader, size_class)] = class;
    u64::from_ne_bytes(bytes)
}

// The header is exactly one word, whose other bytes (`marked`, `flags`,
// `aux`) are all zero in a fresh object.
const _: () = assert!(size_of::<ObjHeader>() == 8);

/// A free cell: a header with kind `Free`, then the free-list link. Every
/// cell is at least 16 bytes, so the link fits.
#[repr(C)]
pub struct FreeCell {
    header: ObjHeader,
    next: *mut FreeCell,
}

/// The allocation state of one size class: the free list and bump range of
/// its current page. `#[repr(C)]`: generated code reads and writes `free`,
/// `bump` and `limit` at [`offsets`] (see the module doc).
#[repr(C)]
pub struct SizeClass {
    /// The next free cell (linked through `FreeCell::next`), or null.
    free: *mut FreeCell,
    /// The untouched cells `[bump, limit)` (`bump == limit` when none).
    bump: usize,
    limit: usize,
    /// The cell size of the class, in bytes.
    cell_size: u32,
    /// Index in `Heap::pages` of the current page, or `NO_PAGE`. The free
    /// list and the bump range lie in it.
    page: u32,
}

const NO_PAGE: u32 = u32::MAX;

impl SizeClass {
    const fn new(cell_size: u32) -> SizeClass {
        SizeClass { free: ptr::null_mut(), bump: 0, limit: 0, cell_size, page: NO_PAGE }
    }

    /// Whether allocating from this class needs a new page.
    #[inline]
    fn is_exhausted(&self) -> bool {
        self.free.is_null() && self.bump == self.limit
    }

    /// A cell from the free list or the bump range, if any.
    #[inline]
    fn take(&mut self) -> Option<*mut ObjHeader> {
        let cell = self.free;
        if !cell.is_null() {
            // SAFETY: cells on a free list are free cells of a live page,
            // whose link was written when they were put on the list.
            self.free = unsafe { (*cell).next };
            return Some(cell.cast());
        }
        if self.bump != self.limit {
            let cell = self.bump;
            self.bump += self.cell_size as usize;
            return Some(cell as *mut ObjHeader);
        }
        None
    }
}

/// Field offsets for code that allocates inline (see the module doc).
pub mod offsets {
    use super::{FreeCell, Heap, SizeClass};
    use std::mem::{offset_of, size_of};

    /// Offset of the first [`SizeClass`] record in a [`Heap`].
    pub const HEAP_CLASSES: i32 = offset_of!(Heap, classes) as i32;
    /// Distance between the records of consecutive size classes.
    pub const CLASS_STRIDE: i32 = size_of::<SizeClass>() as i32;
    /// The free-list head (a cell address, 0 when empty).
    pub const CLASS_FREE: i32 = offset_of!(SizeClass, free) as i32;
    /// The bump cursor.
    pub const CLASS_BUMP: i32 = offset_of!(SizeClass, bump) as i32;
    /// The end of the bump range.
    pub const CLASS_LIMIT: i32 = offset_of!(SizeClass, limit) as i32;
    /// The cell size of the class (a `u32`).
    pub const CLASS_CELL_SIZE: i32 = offset_of!(SizeClass, cell_size) as i32;
    /// The link to the next free cell, in a free cell.
    pub const FREE_NEXT: i32 = offset_of!(FreeCell, next) as i32;
}

// The inline-allocation ABI is generated code's, which only 64-bit targets
// have; a 32-bit target (wasm32: the interpreter alone) has other offsets.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(offsets::HEAP_CLASSES == 0 && offsets::CLASS_STRIDE == 32);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(offsets::CLASS_FREE == 0 && offsets::CLASS_BUMP == 8 && offsets::CLASS_LIMIT == 16);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(offsets::FREE_NEXT == 8);

#[derive(Copy, Clone, Debug)]
struct PageMeta {
    base: usize,
    class: u8,
    ncells: u32,
    /// `ceil(2^32 / cell size)`: `(offset * recip) >> 32` is `offset / cell
    /// size` for every offset in a page (see `cell_index`).
    recip: u64,
    /// Cells below this index may have been handed out; the rest are
    /// untouched (they read as free). Not kept up to date while the page is
    /// its class's current page: `sync_current_pages` does that.
    used: u32,
    /// The free list the last sweep built (null while the page is current:
    /// its class holds the list), and its length.
    free: *mut FreeCell,
    nfree: u32,
    /// Not swept since the last mark phase: its objects carry that phase's
    /// mark bits, and the unmarked ones are dead but not freed yet.
    unswept: bool,
}

impl PageMeta {
    fn new(base: usize, class: usize) -> PageMeta {
        let cell_size = SIZE_CLASSES[class] as u64;
        PageMeta {
            base,
            class: class as u8,
            ncells: (PAGE_SIZE as u64 / cell_size) as u32,
            recip: (1u64 << 32).div_ceil(cell_size),
            used: 0,
            free: ptr::null_mut(),
            nfree: 0,
            unswept: false,
        }
    }

    /// Whether allocation can use this page (once swept). A page left
    /// with a free list (GC stress leaves its page after every allocation)
    /// has room though its `nfree` is not counted.
    fn has_room(&self) -> bool {
        self.nfree > 0 || !self.free.is_null() || self.used < self.ncells
    }

    fn cell_size(&self) -> usize {
        SIZE_CLASSES[self.class as usize] as usize
    }

    /// The index of the cell at byte `offset` of the page (`offset <
    /// PAGE_SIZE`), without a division.
    #[inline]
    fn cell_index(&self, offset: usize) -> usize {
        ((offset as u64 * self.recip) >> 32) as usize
    }

    /// Free bytes this page offers when it becomes current.
    fn free_bytes(&self) -> usize {
        (self.nfree as usize + (self.ncells - self.used) as usize) * self.cell_size()
    }
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
    /// The pacing count: live bytes after the last sweep plus the free space
    /// of every page handed to allocation since (so slightly more than the
    /// bytes allocated since), plus large objects allocated since.
    pub bytes_allocated: usize,
    /// The byte count at which the next collection runs.
    pub threshold: usize,
    /// Pages holding objects (not counting empty pages kept for reuse; a
    /// page not swept yet counts even if all its objects are dead).
    pub pages: usize,
    /// Empty pages kept for reuse.
    pub empty_pages: usize,
    pub large_objects: usize,
    /// Completed collections.
    pub collections: u64,
    /// Most memory held in pages and large objects at once, in bytes.
    pub peak_bytes: usize,
    /// Time spent in collections: finishing the previous sweep, marking,
    /// starting the sweep (the pages swept lazily while allocating are not
    /// counted).
    pub gc_time: Duration,
}

/// The heap of one runtime (see the module doc). `#[repr(C)]` for the
/// class records that generated code reaches at [`offsets`].
#[repr(C)]
pub struct Heap {
    /// One record per size class. The first field: see [`offsets`].
    classes: [SizeClass; NUM_CLASSES],
    /// GC stress mode: class records are always left empty (see
    /// [`Heap::set_gc_stress`]).
    stress: bool,
    pages: Vec<PageMeta>,
    /// Page base address to index in `pages`.
    page_index: HashMap<usize, u32, BuildHasherDefault<PageHasher>>,
    /// Per class: swept pages with live objects and free cells (not current).
    partial: [Vec<u32>; NUM_CLASSES],
    /// Per class: pages not swept since the last mark phase.
    unswept: [Vec<u32>; NUM_CLASSES],
    unswept_count: usize,
    /// Per class: empty pages (no object, `used == 0`), kept for reuse.
    empty: [Vec<u32>; NUM_CLASSES],
    empty_count: usize,
    /// Large objects: address to size in bytes.
    large: BTreeMap<usize, usize>,
    large_bytes: usize,
    /// Every page and large object ever allocated lies in `[lowest,
    /// highest)`: [`Heap::find_object`] rejects words outside at once. The
    /// range only grows (released memory just makes it loose).
    lowest: usize,
    highest: usize,
    /// The pacing count (see [`HeapStats::bytes_allocated`]).
    allocated: usize,
    threshold: usize,
    collections: u64,
    peak_bytes: usize,
    gc_time: Duration,
    /// `BRINE_GC_STATS`: 1 prints totals when the heap is dropped, 2 also
    /// a line per collection (on stderr).
    report: u8,
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
        let mut classes = [const { SizeClass::new(0) }; NUM_CLASSES];
        for (class, &size) in classes.iter_mut().zip(&SIZE_CLASSES) {
            class.cell_size = size;
        }
        Heap {
            classes,
            stress: false,
            pages: Vec::new(),
            page_index: HashMap::default(),
            partial: [const { Vec::new() }; NUM_CLASSES],
            unswept: [const { Vec::new() }; NUM_CLASSES],
            unswept_count: 0,
            empty: [const { Vec::new() }; NUM_CLASSES],
            empty_count: 0,
            large: BTreeMap::new(),
            large_bytes: 0,
            lowest: usize::MAX,
            highest: 0,
            allocated: 0,
            threshold: MIN_THRESHOLD,
            collections: 0,
            peak_bytes: 0,
            gc_time: Duration::ZERO,
            report: match std::env::var("BRINE_GC_STATS").as_deref() {
                Ok("" | "0") | Err(_) => 0,
                Ok("2") => 2,
                Ok(_) => 1,
            },
        }
    }

    /// GC stress mode: every allocation takes the slow path (the class
    /// records stay empty), so that code allocating inline reaches the
    /// runtime, which collects, at every allocation too.
    pub fn set_gc_stress(&mut self, on: bool) {
        self.stress = on;
        if on {
            for class in 0..NUM_CLASSES {
                self.leave_current_page(class);
            }
        }
    }

    /// Whether allocating an object of `size` bytes should first run a
    /// collection: the count has reached the threshold and the object needs
    /// a new page (or is large). Cheap when the answer is no.
    #[inline]
    pub fn should_collect(&self, size: usize) -> bool {
        match size_class(size) {
            Some(class) => self.allocated + PAGE_SIZE > self.threshold && self.classes[class].is_exhausted(),
            None => self.allocated + size > self.threshold,
        }
    }

    /// Completed collections.
    #[inline]
    pub fn collections(&self) -> u64 {
        self.collections
    }

    #[inline]
    pub fn stats(&self) -> HeapStats {
        HeapStats {
            bytes_allocated: self.allocated,
            threshold: self.threshold,
            pages: self.pages.len() - self.empty_count,
            empty_pages: self.empty_count,
            large_objects: self.large.len(),
            collections: self.collections,
            peak_bytes: self.peak_bytes,
            gc_time: self.gc_time,
        }
    }

    /// Counts `bytes` that an object allocated outside the heap (a grown
    /// array's buffer) towards the next collection, as if they were
    /// objects; the mark phase counts those of live objects again.
    pub(crate) fn note_external(&mut self, bytes: usize) {
        self.allocated += bytes;
    }

    /// Memory held in pages and large objects.
    fn footprint(&self) -> usize {
        self.pages.len() * PAGE_SIZE + self.large_bytes
    }

    /// Adds the duration of one collection to the statistics.
    pub(crate) fn record_gc_time(&mut self, time: Duration) {
        self.gc_time += time;
        if self.report >= 2 {
            eprintln!(
                "brine gc #{}: {} KiB live, next at {} KiB, {} pages + {} empty, {} large, {} us",
                self.collections,
                self.allocated / 1024,
                self.threshold / 1024,
                self.pages.len() - self.empty_count,
                self.empty_count,
                self.large.len(),
                time.as_micros()
            );
        }
    }

    /// Allocates an object of `size` bytes and writes its header (kind
    /// `kind`, unmarked). The rest of the memory is uninitialized: the caller
    /// initializes every field before the next allocation. Never collects:
    /// that is the caller's decision (`Runtime::alloc`, after
    /// [`Heap::should_collect`]).
    #[inline]
    pub(crate) fn alloc(&mut self, size: usize, kind: ObjKind) -> *mut ObjHeader {
        match self.try_alloc(size, kind) {
            Some(obj) => obj,
            None => self.alloc_slow(size, kind),
        }
    }

    /// The fast path of [`Heap::alloc`]: an object from the current page of
    /// its size class, or None when that needs the slow path (a new page, or
    /// a large object). What generated code does inline (see the module doc).
    #[inline]
    pub(crate) fn try_alloc(&mut self, size: usize, kind: ObjKind) -> Option<*mut ObjHeader> {
        debug_assert!(kind != ObjKind::Free);
        let class = size_class(size)?;
        let obj = self.classes[class].take()?;
        // SAFETY: `obj` is a free or untouched cell of at least `size` bytes
        // (at least 16), 8-byte aligned; the header is one word.
        unsafe { obj.cast::<u64>().write(header_word(kind, class as u8)) };
        Some(obj)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self, size: usize, kind: ObjKind) -> *mut ObjHeader {
        let Some(class) = size_class(size) else {
            return self.alloc_large(size, kind);
        };
        self.refill(class);
        let obj = self.classes[class].take().expect("a refilled class has a free cell");
        if self.stress {
            self.leave_current_page(class);
        }
        // SAFETY: as in `try_alloc`.
        unsafe { obj.cast::<u64>().write(header_word(kind, class as u8)) };
        obj
    }

    /// Makes a page with free cells current for `class` (whose current page,
    /// if any, is exhausted), and counts its free bytes.
    fn refill(&mut self, class: usize) {
        self.leave_current_page(class);
        let index = self.page_with_room(class);
        let page = &mut self.pages[index as usize];
        debug_assert!(page.class as usize == class && !page.unswept && page.has_room());
        self.allocated += page.free_bytes();
        let cell_size = page.cell_size();
        let state = &mut self.classes[class];
        state.free = std::mem::replace(&mut page.free, ptr::null_mut());
        state.bump = page.base + page.used as usize * cell_size;
        state.limit = page.base + page.ncells as usize * cell_size;
        state.page = index;
        page.nfree = 0;
    }

    /// Stops allocating from `class`'s current page (if any): records how
    /// far it was used, and hands back its free cells (there are some only
    /// in stress mode, or after `set_gc_stress`).
    fn leave_current_page(&mut self, class: usize) {
        let state = &mut self.classes[class];
        if state.page == NO_PAGE {
            return;
        }
        let index = state.page;
        let page = &mut self.pages[index as usize];
        page.used = ((state.bump - page.base) / page.cell_size()) as u32;
        page.free = state.free;
        // The bytes not used yet were counted when the page became current;
        // the bump range is uncounted here so it is not counted twice (the
        // free list is not: it is not worth walking).
        self.allocated -= state.limit - state.bump;
        let has_room = !state.free.is_null() || state.bump != state.limit;
        *state = SizeClass::new(state.cell_size);
        if has_room {
            self.partial[class].push(index);
        }
    }

    /// A swept page of `class` with room, not current: one with free cells,
    /// else one swept now (lazy sweeping), else an empty page (of this
    /// class, else of another one, re-formatted), else a new page.
    fn page_with_room(&mut self, class: usize) -> u32 {
        if let Some(index) = self.partial[class].pop() {
            return index;
        }
        while let Some(index) = self.unswept[class].pop() {
            self.unswept_count -= 1;
            self.sweep_page(index);
            if self.pages[index as usize].has_room() {
                return index;
            }
        }
        if let Some(index) = self.empty[class].pop() {
            self.empty_count -= 1;
            return index;
        }
        match self.empty_page_of_another_class() {
            Some(index) => {
                let page = &mut self.pages[index as usize];
                // SAFETY: an empty page of ours: no object lives in it.
                // Zeroing makes every cell of the new class read as free.
                unsafe { ptr::write_bytes(page.base as *mut u8, 0, PAGE_SIZE) };
                *page = PageMeta::new(page.base, class);
                index
            }
            None => self.new_page(class),
        }
    }

    /// Takes an empty page of any class: a kept one, else one that sweeping
    /// the unswept pages finds (the sweep is not wasted: those pages then
    /// serve their own classes).
    fn empty_page_of_another_class(&mut self) -> Option<u32> {
        if self.empty_count > 0 {
            let class = (0..NUM_CLASSES).find(|&c| !self.empty[c].is_empty())?;
            self.empty_count -= 1;
            return self.empty[class].pop();
        }
        for class in 0..NUM_CLASSES {
            while let Some(index) = self.unswept[class].pop() {
                self.unswept_count -= 1;
                let page = self.sweep_page(index);
                if page.used == 0 {
                    return Some(index);
                }
                if page.has_room() {
                    self.partial[class].push(index);
                }
            }
        }
        None
    }

    /// Allocates and registers a new page for `class`; returns its index.
    fn new_page(&mut self, class: usize) -> u32 {
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { alloc::alloc_zeroed(page_layout()) };
        if base.is_null() {
            alloc::handle_alloc_error(page_layout());
        }
        let base = base as usize;
        self.note_range(base, PAGE_SIZE);
        let index = self.pages.len() as u32;
        self.page_index.insert(base, index);
        self.pages.push(PageMeta::new(base, class));
        self.peak_bytes = self.peak_bytes.max(self.footprint());
        index
    }

    /// Sweeps the unswept page at `index` (see [`sweep_cells`]); an empty
    /// page is reset to be bumped through from its start.
    fn sweep_page(&mut self, index: u32) -> &PageMeta {
        let page = &mut self.pages[index as usize];
        debug_assert!(page.unswept);
        // SAFETY: a registered page keeps the module invariant, and its
        // marks are those of the last mark phase (it is unswept).
        let live = unsafe { sweep_cells(page) };
        page.unswept = false;
        if live == 0 {
            page.used = 0;
            page.free = ptr::null_mut();
            page.nfree = 0;
        }
        page
    }

    #[cold]
    fn alloc_large(&mut self, size: usize, kind: ObjKind) -> *mut ObjHeader {
        let size = size.next_multiple_of(8);
        let layout = large_layout(size);
        // SAFETY: the layout has a non-zero size (larger than MAX_SMALL).
        let obj = unsafe { alloc::alloc(layout) };
        if obj.is_null() {
            alloc::handle_alloc_error(layout);
        }
        self.note_range(obj as usize, size);
        self.large.insert(obj as usize, size);
        self.large_bytes += size;
        self.allocated += size;
        self.peak_bytes = self.peak_bytes.max(self.footprint());
        let obj = obj.cast::<ObjHeader>();
        // SAFETY: a fresh allocation of at least 8 bytes, 8-byte aligned.
        unsafe { obj.cast::<u64>().write(header_word(kind, LARGE)) };
        obj
    }

    /// Widens `[lowest, highest)` to cover `size` bytes at `start`.
    fn note_range(&mut self, start: usize, size: usize) {
        self.lowest = self.lowest.min(start);
        self.highest = self.highest.max(start + size);
    }

    /// The live object that `addr` points at or into, if any. `addr` may be
    /// any word: this is the test the conservative stack scan uses, so words
    /// outside the heap's address range are rejected with two compares, and
    /// the rest cost one hash lookup and a multiplication (or a range lookup
    /// for large objects).
    #[inline]
    pub fn find_object(&self, addr: usize) -> Option<*mut ObjHeader> {
        if addr < self.lowest || addr >= self.highest {
            return None;
        }
        let base = addr & !(PAGE_SIZE - 1);
        if let Some(&index) = self.page_index.get(&base) {
            let page = &self.pages[index as usize];
            let index = page.cell_index(addr - base);
            if index >= page.ncells as usize {
                return None;
            }
            let cell = (base + index * page.cell_size()) as *mut ObjHeader;
            // SAFETY: `cell` is a cell of a registered page, whose first byte
            // is a valid kind, `Free` unless an object lives there (module
            // doc), and then the second is its mark bit. Read as bytes so no
            // other field is assumed valid.
            let (kind, marked) = unsafe { (*(cell as *const u8), *(cell as *const u8).add(1)) };
            // In an unswept page, the unmarked objects are dead.
            let live = kind != ObjKind::Free as u8 && (!page.unswept || marked != 0);
            return live.then_some(cell);
        }
        if self.large.is_empty() {
            return None;
        }
        let (&start, &size) = self.large.range(..=addr).next_back()?;
        (addr < start + size).then_some(start as *mut ObjHeader)
    }

    /// Brings `used` of every current page up to date.
    fn sync_current_pages(&mut self) {
        for state in &self.classes {
            if state.page != NO_PAGE {
                let page = &mut self.pages[state.page as usize];
                page.used = ((state.bump - page.base) / page.cell_size()) as u32;
            }
        }
    }

    /// Ends a collection, after the mark phase: frees the unmarked large
    /// objects, sets the next threshold from the surviving bytes (the small
    /// objects' are `live_small`, which the mark phase counted), and makes
    /// every page unswept: each is swept when allocation needs it, or by
    /// `Heap::finish_sweep` at the start of the next collection.
    ///
    /// The mark bits must have been set by a complete mark phase (every
    /// object still reachable is marked) that started after `finish_sweep`.
    pub(crate) fn sweep(&mut self, live_small: usize) {
        debug_assert_eq!(self.unswept_count, 0, "finish_sweep runs before marking");
        self.sync_current_pages();
        for class in 0..NUM_CLASSES {
            let cell_size = self.classes[class].cell_size;
            self.classes[class] = SizeClass::new(cell_size);
        }
        let mut live_bytes = live_small;
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
                    self.large_bytes -= size;
                    false
                }
            }
        });
        self.allocated = live_bytes;
        self.threshold = next_threshold(live_bytes);
        self.collections += 1;

        // Pages left empty since the last collection: keep a few for the
        // classes that run out of pages, return the rest.
        let empty = self.pages.iter().filter(|page| page.used == 0).count();
        let keep = MIN_KEPT_PAGES + (self.threshold - live_bytes) / (4 * PAGE_SIZE);
        if empty > keep {
            self.release_empty_pages(empty - keep);
        }
        for list in self.partial.iter_mut().chain(&mut self.unswept).chain(&mut self.empty) {
            list.clear();
        }
        self.empty_count = 0;
        self.unswept_count = 0;
        for (index, page) in self.pages.iter_mut().enumerate() {
            let class = page.class as usize;
            if page.used == 0 {
                self.empty[class].push(index as u32);
                self.empty_count += 1;
            } else {
                page.unswept = true;
                page.free = ptr::null_mut();
                page.nfree = 0;
                self.unswept[class].push(index as u32);
                self.unswept_count += 1;
            }
        }
        // Allocation pops pages from the end: the oldest pages first.
        for list in self.unswept.iter_mut().chain(&mut self.empty) {
            list.reverse();
        }
    }

    /// Sweeps every page that is still unswept. A collection starts with
    /// this, so that marking starts from clear mark bits and every dead
    /// object is freed (the conservative scan must not find any).
    pub(crate) fn finish_sweep(&mut self) {
        for class in 0..NUM_CLASSES {
            while let Some(index) = self.unswept[class].pop() {
                self.unswept_count -= 1;
                let page = self.sweep_page(index);
                if page.used == 0 {
                    self.empty[class].push(index);
                    self.empty_count += 1;
                } else if page.has_room() {
                    self.partial[class].push(index);
                }
            }
        }
        debug_assert_eq!(self.unswept_count, 0);
    }

    /// Returns `count` empty pages (`used == 0`) to the allocator. Page
    /// indexes change: the caller rebuilds the page lists.
    fn release_empty_pages(&mut self, mut count: usize) {
        self.pages.retain(|page| {
            if count == 0 || page.used != 0 {
                return true;
            }
            count -= 1;
            // SAFETY: the page was allocated with `page_layout`, and nothing
            // refers to it any more (it holds no object).
            unsafe { alloc::dealloc(page.base as *mut u8, page_layout()) };
            false
        });
        self.page_index.clear();
        for (index, page) in self.pages.iter().enumerate() {
            self.page_index.insert(page.base, index as u32);
        }
    }

    /// Calls `f` on every live object (in no particular order).
    pub fn for_each_object(&mut self, mut f: impl FnMut(*mut ObjHeader)) {
        self.finish_sweep();
        self.sync_current_pages();
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

/// Sweeps one page that is not current: frees its unmarked objects, clears
/// the marks, and rebuilds its free list (in address order) from every free
/// cell below `used`. Returns the number of live objects.
///
/// # Safety
/// `page` must be a registered page keeping the module invariant, and the
/// mark bits of its objects must be those of the last mark phase.
unsafe fn sweep_cells(page: &mut PageMeta) -> usize {
    let cell_size = page.cell_size();
    let mut head: *mut FreeCell = ptr::null_mut();
    let mut nfree = 0;
    let mut live = 0;
    let mut addr = page.base + page.used as usize * cell_size;
    while addr > page.base {
        addr -= cell_size;
        let cell = addr as *mut ObjHeader;
        // SAFETY: cells below `used` hold a valid header (module doc); a
        // non-free one is an initialized object.
        unsafe {
            if *(cell as *const u8) != ObjKind::Free as u8 {
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
        }
        head = cell.cast();
        nfree += 1;
    }
    page.free = head;
    page.nfree = nfree;
    live
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        if self.report > 0 {
            let stats = self.stats();
            eprintln!(
                "brine gc: {} collections, {:.1} ms, peak {} KiB in pages and large objects",
                stats.collections,
                stats.gc_time.as_secs_f64() * 1e3,
                stats.peak_bytes / 1024
            );
        }
        // `for_each_object` sweeps first: the dead objects are finalized.
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
mod tests;
