//! A tick allocates nothing: a counting global allocator watches the engine
//! step through the Afghanistan baseline after a warm-up run.
//! (A separate test binary, because it installs its own global allocator.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use detente::engine::{Recorder, Simulator};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn ticks_do_not_allocate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["scenarios/afghanistan/baseline.toml", "scenarios/reference-class/us_vietnam_1975.toml"] {
        let scenario = detente::scenario::load(&root.join(file)).unwrap();
        let setup = &scenario.base;
        let mut sim = Simulator::new();
        let mut rec = Recorder::new(false, false);
        // Warm-up: the first run sizes every buffer.
        sim.run(setup, 1, &mut rec);
        sim.start(setup, 2, &mut rec);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut ticks = 0;
        while sim.step(setup, &mut rec) {
            ticks += 1;
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert!(ticks > 300, "{file}: {ticks} ticks");
        assert_eq!(allocations, 0, "{file}: {allocations} allocations in {ticks} ticks");
    }
}
