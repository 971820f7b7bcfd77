//! Running independent work on all cores with scoped threads, keeping the input order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Items each thread takes at a time: small enough that the threads end together when items
/// differ in cost (a spec with large test events next to a three-line one), large enough that
/// taking them costs nothing.
const GRAIN: usize = 4;

/// Runs `f` over `items` on all cores, keeping the order. Threads take the next few items as
/// they become free, so an uneven stretch of the input does not leave one core idle at the end.
pub fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || items.len() < 64 {
        return items.into_iter().map(f).collect();
    }
    let count = items.len();
    // Each item is taken exactly once (the counter hands out each index once); the lock is
    // never contended.
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let (f, slots, next) = (&f, &slots, &next);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(count.div_ceil(GRAIN)))
            .map(|_| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(GRAIN, Ordering::Relaxed);
                        if start >= count {
                            break;
                        }
                        for (i, slot) in slots.iter().enumerate().skip(start).take(GRAIN) {
                            let item = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                            if let Some(item) = item {
                                out.push((i, f(item)));
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        results[i] = Some(r);
    }
    results
        .into_iter()
        .map(|r| r.expect("every item was taken by one thread"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parallel_map;

    #[test]
    fn keeps_the_order_and_runs_each_item_once() {
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let items: Vec<usize> = (0..1000).collect();
        let out = parallel_map(items, |i| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Uneven costs: every 97th item is slow.
            if i % 97 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            i * 2
        });
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 1000);
    }

    #[test]
    fn small_inputs_run_in_place() {
        assert_eq!(parallel_map(vec![3, 1, 2], |i| i + 1), vec![4, 2, 3]);
        assert!(parallel_map(Vec::<u8>::new(), |i| i).is_empty());
    }
}
