//! Gives the system back memory the process has freed.
//!
//! glibc's allocator returns freed memory to the system only from the top of each heap: memory
//! freed below a live allocation (the buffers of many connections that have closed, interleaved
//! with messages stored meanwhile) stays resident, so a process keeps the size of its busiest
//! moment. `malloc_trim(0)` walks every arena and returns each whole free page (glibc 2.8 and
//! later). Other allocators (musl's, macOS's, Windows') have no such call and need none.

/// Returns the free pages of every allocator arena to the system; true when any were returned.
/// It walks and locks each arena in turn, so call it when a burst is over, not per request. Off
/// glibc it does nothing and returns false.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() -> bool {
    // SAFETY: malloc_trim takes no pointer and glibc serialises it with every other allocator
    // call; it only returns pages no allocation uses.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Returns the free pages of every allocator arena to the system; true when any were returned.
/// Off glibc it does nothing and returns false.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn freed_pages_below_a_live_allocation_are_returned() {
        // Many small blocks freed below one that stays: the pattern the top-of-heap trim misses.
        let blocks: Vec<Vec<u8>> = (0..4096).map(|_| vec![1u8; 8192]).collect();
        let kept = Box::new([2u8; 64]);
        drop(blocks);
        assert!(super::release_freed(), "nothing was returned");
        assert_eq!(kept[0], 2);
    }
}
