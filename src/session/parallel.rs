//! Per-session work on a bounded number of threads, results in order.

use std::thread;

use anyhow::Result;

/// What the work mostly does, which sets how many threads pay off.
#[derive(Debug, Clone, Copy)]
pub(super) enum Load {
    /// Waiting on a git process each: twice as many threads as cores keeps
    /// the cores busy while processes start and read folders.
    Processes,
    /// Computing in-process: a thread per core.
    Compute,
}

/// Runs WORK on every item, each thread with its own state from INIT (a
/// `Repository` may not be shared between threads); the results come back
/// in the items' order, or the first error.
pub(super) fn in_parallel<T, S, R>(
    items: &[T],
    load: Load,
    init: impl Fn() -> Result<S> + Sync,
    work: impl Fn(&mut S, &T) -> Result<R> + Sync,
) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
{
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let per_core = match load {
        Load::Processes => 2,
        Load::Compute => 1,
    };
    let workers = (cores * per_core).clamp(1, 8).min(items.len().max(1));
    let (init, work) = (&init, &work);
    let mut done: Vec<(usize, R)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || -> Result<Vec<(usize, R)>> {
                    let mut state = init()?;
                    (w..items.len())
                        .step_by(workers)
                        .map(|i| Ok((i, work(&mut state, &items[i])?)))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .collect::<Result<Vec<_>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}
