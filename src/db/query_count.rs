//! Counts the SQL statements one request runs, so pages can be checked for N+1 queries: the
//! count must not grow with the number of items a page lists. Every connection reports its
//! queries through diesel's instrumentation; a request's counter lives in a task-local that
//! `counted` sets up (queries outside one are not counted).

use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::{cell::Cell, future::Future, sync::Once};

tokio::task_local! {
    static QUERIES: Cell<u32>;
}

struct QueryCounter;

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            let _ = QUERIES.try_with(|count| count.set(count.get() + 1));
        }
    }
}

/// Makes every connection opened from now on report its queries. Idempotent.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if let Err(err) =
            diesel::connection::set_default_instrumentation(|| Some(Box::new(QueryCounter)))
        {
            tracing::warn!(%err, "query counting is not available");
        }
    });
}

/// Runs `work` and counts the queries it ran.
pub async fn counted<F: Future>(work: F) -> (F::Output, u32) {
    QUERIES
        .scope(Cell::new(0), async {
            let output = work.await;
            (output, QUERIES.with(Cell::get))
        })
        .await
}
