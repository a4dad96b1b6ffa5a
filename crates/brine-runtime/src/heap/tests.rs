//! Tests of the heap alone: size classes, the allocation paths (including
//! the inline protocol), `find_object`, sweeping, page reuse and pacing.

use super::*;

fn mark(obj: *mut ObjHeader) {
    // SAFETY: tests only mark live objects they allocated.
    unsafe { (*obj).marked = true };
}

/// A collection as `crate::gc::collect` runs it, in which exactly `live`
/// are reachable.
fn collect(heap: &mut Heap, live: &[*mut ObjHeader]) {
    heap.finish_sweep();
    let mut live_small = 0;
    for &obj in live {
        mark(obj);
        // SAFETY: a live object.
        live_small += cell_size_of(unsafe { (*obj).size_class });
    }
    heap.sweep(live_small);
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
    assert!(SIZE_CLASSES.iter().all(|&s| s % 8 == 0 && s >= 16));
}

#[test]
fn cell_index_is_exact_division() {
    for (class, &cell_size) in SIZE_CLASSES.iter().enumerate() {
        let page = PageMeta::new(0, class);
        let cell_size = cell_size as usize;
        for offset in 0..PAGE_SIZE {
            assert_eq!(page.cell_index(offset), offset / cell_size, "class {class}, offset {offset}");
        }
    }
}

#[test]
fn header_word_is_a_fresh_header() {
    let word = header_word(ObjKind::Instance, 7);
    // SAFETY: an 8-byte word holds the 8 bytes of a header; every byte
    // pattern written by `header_word` is a valid header.
    let header: ObjHeader = unsafe { std::mem::transmute::<u64, ObjHeader>(word) };
    assert_eq!(header.kind, ObjKind::Instance);
    assert!(!header.marked);
    assert_eq!((header.size_class, header.flags, header.aux), (7, 0, 0));
}

#[test]
fn objects_have_their_header() {
    let mut heap = Heap::new();
    let small = heap.alloc(40, ObjKind::Closure);
    let large = heap.alloc(5000, ObjKind::String);
    // SAFETY: both are fresh objects with their header written.
    unsafe {
        assert_eq!(((*small).kind, (*small).marked, (*small).size_class), (ObjKind::Closure, false, 3));
        assert_eq!(((*large).kind, (*large).marked, (*large).size_class), (ObjKind::String, false, LARGE));
    }
}

#[test]
fn find_object_on_starts_and_interior_pointers() {
    let mut heap = Heap::new();
    let a = heap.alloc(40, ObjKind::Cell);
    let b = heap.alloc(40, ObjKind::Cell);
    let big = heap.alloc(10_000, ObjKind::String);
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
    // The slack at the end of a page (65536 is not a multiple of 40) is no cell.
    let base = a as usize & !(PAGE_SIZE - 1);
    assert_eq!(heap.find_object(base + PAGE_SIZE - 1), None);
}

#[test]
fn sweep_frees_unmarked_and_reuses_cells() {
    let mut heap = Heap::new();
    let keep: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
    let garbage: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
    let big_keep = heap.alloc(5000, ObjKind::String);
    let big_garbage = heap.alloc(5000, ObjKind::String);
    collect(&mut heap, &[&keep[..], &[big_keep]].concat());
    // The page is not swept yet, but `find_object` knows the dead.
    assert_eq!(heap.stats().pages, 1);
    for &o in &keep {
        assert_eq!(heap.find_object(o as usize + 8), Some(o));
    }
    for &o in &garbage {
        assert_eq!(heap.find_object(o as usize), None);
    }
    assert_eq!(heap.find_object(big_keep as usize + 100), Some(big_keep));
    assert_eq!(heap.find_object(big_garbage as usize + 100), None);
    // After a sweep, the count is exactly the live bytes.
    assert_eq!(heap.stats().bytes_allocated, 100 * 32 + 5000usize.next_multiple_of(8));
    assert_eq!(heap.stats().large_objects, 1);
    // Freed cells are handed out again, in address order, before any new
    // memory.
    let pages = heap.stats().pages;
    let again: Vec<_> = (0..100).map(|_| heap.alloc(32, ObjKind::Cell)).collect();
    let mut expected = garbage.clone();
    expected.sort();
    assert_eq!(again, expected);
    assert_eq!(heap.stats().pages, pages);
    // Sweeping cleared the survivors' marks.
    for &o in &keep {
        // SAFETY: `o` survived.
        assert!(!unsafe { (*o).marked });
    }
}

#[test]
fn pages_are_swept_lazily_and_empty_ones_reused_or_released() {
    let mut heap = Heap::new();
    let per_page = PAGE_SIZE / 16;
    let objs: Vec<_> = (0..per_page * 200).map(|_| heap.alloc(16, ObjKind::Cell)).collect();
    assert_eq!(heap.stats().pages, 200);
    collect(&mut heap, &[objs[0]]);
    // Nothing is swept yet.
    assert_eq!(heap.unswept_count, 200);
    assert_eq!(heap.find_object(objs[0] as usize), Some(objs[0]));
    assert_eq!(heap.find_object(objs[1] as usize), None);
    assert_eq!(heap.find_object(objs[per_page * 2] as usize), None);
    // Another size class needs a page: sweeping finds an empty one, which
    // is zeroed and re-formatted. No new memory.
    let other: Vec<_> = (0..10).map(|_| heap.alloc(100, ObjKind::Cell)).collect();
    assert_eq!(heap.pages.len(), 200);
    assert_eq!(heap.unswept_count, 198, "swept: the first page (partial), the second (empty)");
    assert_eq!(heap.find_object(other[9] as usize + 112), None);
    assert_eq!(heap.find_object(other[9] as usize), Some(other[9]));
    // The same class reuses its unswept pages, in order: first the free
    // cells next to `objs[0]`.
    assert_eq!(heap.alloc(16, ObjKind::Cell), objs[1]);
    // The next collection finishes the sweep: 197 empty pages, of which a
    // few are kept.
    collect(&mut heap, &[objs[0], other[0]]);
    let stats = heap.stats();
    let kept = MIN_KEPT_PAGES + (stats.threshold - 16 - 112) / (4 * PAGE_SIZE);
    assert_eq!(stats.empty_pages, kept);
    assert_eq!(stats.pages, 2);
    assert_eq!(heap.pages.len(), 2 + kept);
    assert_eq!(heap.find_object(objs[0] as usize), Some(objs[0]));
    assert_eq!(heap.find_object(other[0] as usize), Some(other[0]));
    assert_eq!(heap.find_object(other[1] as usize), None);
    // Empty pages serve any class.
    for _ in 0..kept * PAGE_SIZE / 1024 {
        heap.alloc(1000, ObjKind::Cell);
    }
    assert_eq!(heap.pages.len(), 2 + kept);
    heap.alloc(1000, ObjKind::Cell);
    assert_eq!(heap.pages.len(), 3 + kept);
}

#[test]
fn threshold_follows_live_size() {
    let mut heap = Heap::new();
    assert_eq!(heap.stats().threshold, MIN_THRESHOLD);
    let objs: Vec<_> = (0..80).map(|_| heap.alloc(100_000, ObjKind::String)).collect();
    assert!(heap.should_collect(0));
    collect(&mut heap, &objs);
    assert_eq!(heap.stats().threshold, GROWTH_FACTOR * 80 * 100_000 + HEADROOM);
    collect(&mut heap, &objs[..4]);
    assert_eq!(heap.stats().threshold, GROWTH_FACTOR * 4 * 100_000 + HEADROOM);
    collect(&mut heap, &[]);
    assert_eq!(heap.stats().threshold, MIN_THRESHOLD.max(HEADROOM));
    assert_eq!(heap.stats().large_objects, 0);
    assert_eq!(heap.stats().collections, 3);
}

#[test]
fn pacing_counts_pages_when_they_are_taken() {
    let mut heap = Heap::new();
    assert!(!heap.should_collect(16));
    let first = heap.alloc(16, ObjKind::Cell);
    // The whole page was counted at once; its cells then cost nothing.
    assert_eq!(heap.stats().bytes_allocated, PAGE_SIZE);
    for _ in 1..PAGE_SIZE / 16 {
        heap.alloc(16, ObjKind::Cell);
    }
    assert_eq!(heap.stats().bytes_allocated, PAGE_SIZE);
    // Allocate until the heap asks for a collection: that happens when a
    // class needs a page and the count is about to pass the threshold.
    let mut n = 0;
    while !heap.should_collect(16) {
        heap.alloc(16, ObjKind::Cell);
        n += 1;
    }
    assert!(heap.stats().bytes_allocated <= MIN_THRESHOLD);
    assert!(heap.stats().bytes_allocated + PAGE_SIZE > MIN_THRESHOLD);
    assert_eq!(n % (PAGE_SIZE / 16), 0, "asks only at a page boundary");
    // Another class with room in its page does not need a collection.
    heap.alloc(24, ObjKind::Cell);
    assert!(!heap.should_collect(24));
    collect(&mut heap, &[first]);
    assert_eq!(heap.stats().bytes_allocated, 16);
    assert!(!heap.should_collect(16));
}

#[test]
fn memory_stays_bounded_when_little_survives() {
    let mut heap = Heap::new();
    let keep = heap.alloc(64, ObjKind::Cell);
    for _ in 0..2_000_000 {
        if heap.should_collect(48) {
            collect(&mut heap, &[keep]);
        }
        heap.alloc(48, ObjKind::Cell);
    }
    let stats = heap.stats();
    assert!(stats.collections >= 10, "{stats:?}");
    let bound = next_threshold(64) + 2 * PAGE_SIZE;
    assert!(stats.peak_bytes <= bound, "{stats:?}");
    assert!(heap.pages.len() * PAGE_SIZE <= bound);
}

/// Allocates like generated code, through the documented offsets only.
///
/// # Safety
/// `heap` must be a live heap; `size <= MAX_SMALL`.
unsafe fn inline_alloc(heap: *mut Heap, size: usize, kind: ObjKind) -> Option<*mut ObjHeader> {
    let class = size_class(size).unwrap();
    let cell_size = SIZE_CLASSES[class] as usize;
    // SAFETY: the caller's contract; the offsets are those of the module doc.
    unsafe {
        let record =
            (heap as *mut u8).add(offsets::HEAP_CLASSES as usize + class * offsets::CLASS_STRIDE as usize);
        let free = record.add(offsets::CLASS_FREE as usize) as *mut usize;
        let bump = record.add(offsets::CLASS_BUMP as usize) as *mut usize;
        let limit = record.add(offsets::CLASS_LIMIT as usize) as *mut usize;
        assert_eq!(*(record.add(offsets::CLASS_CELL_SIZE as usize) as *const u32) as usize, cell_size);
        let cell = if *free != 0 {
            let cell = *free;
            *free = *((cell + offsets::FREE_NEXT as usize) as *const usize);
            cell
        } else if *bump != *limit {
            let cell = *bump;
            *bump = cell + cell_size;
            cell
        } else {
            return None;
        };
        *(cell as *mut u64) = header_word(kind, class as u8);
        Some(cell as *mut ObjHeader)
    }
}

#[test]
fn inline_allocation_protocol() {
    let mut heap = Heap::new();
    // Nothing to pop or bump yet: the slow path makes a page current.
    // SAFETY: a live heap, a small size.
    assert_eq!(unsafe { inline_alloc(&mut heap, 24, ObjKind::Cell) }, None);
    let first = heap.alloc(24, ObjKind::Cell);
    // SAFETY: as above.
    let bumped: Vec<_> =
        (0..10).map(|_| unsafe { inline_alloc(&mut heap, 24, ObjKind::Cell) }.unwrap()).collect();
    assert_eq!(bumped[0] as usize, first as usize + 24);
    for &obj in &bumped {
        assert_eq!(heap.find_object(obj as usize + 5), Some(obj));
        // SAFETY: a fresh object.
        assert_eq!(unsafe { ((*obj).kind, (*obj).size_class) }, (ObjKind::Cell, 1));
    }
    // Inline allocations are swept like any other; the free list they then
    // pop from is the one the sweep built.
    collect(&mut heap, &[&[first], &bumped[5..]].concat());
    heap.alloc(24, ObjKind::Cell);
    // SAFETY: as above.
    let popped: Vec<_> =
        (0..4).map(|_| unsafe { inline_alloc(&mut heap, 24, ObjKind::Cell) }.unwrap()).collect();
    assert_eq!(popped, bumped[1..5]);
    // The next bump continues after the last cell handed out before.
    // SAFETY: as above.
    let next = unsafe { inline_alloc(&mut heap, 24, ObjKind::Cell) }.unwrap();
    assert_eq!(next as usize, bumped[9] as usize + 24);
    let mut count = 0;
    heap.for_each_object(|_| count += 1);
    assert_eq!(count, 1 + 5 + 1 + 4 + 1);
}

#[test]
fn stress_mode_leaves_the_class_records_empty() {
    let mut heap = Heap::new();
    let a = heap.alloc(32, ObjKind::Cell);
    heap.set_gc_stress(true);
    // SAFETY: a live heap, a small size.
    assert_eq!(unsafe { inline_alloc(&mut heap, 32, ObjKind::Cell) }, None);
    let b = heap.alloc(32, ObjKind::Cell);
    // SAFETY: as above.
    assert_eq!(unsafe { inline_alloc(&mut heap, 32, ObjKind::Cell) }, None);
    assert_eq!(b as usize, a as usize + 32, "the page is still used, one cell at a time");
    collect(&mut heap, &[b]);
    let c = heap.alloc(32, ObjKind::Cell);
    assert_eq!(c, a, "freed cells are reused");
    heap.set_gc_stress(false);
    heap.alloc(32, ObjKind::Cell);
    // SAFETY: as above.
    assert!(unsafe { inline_alloc(&mut heap, 32, ObjKind::Cell) }.is_some());
}
