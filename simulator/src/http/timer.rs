//! hyper's timer for one connection. hyper starts a header-read timer whenever the connection
//! waits for a request (at its start and after each reply) and drops it once the request's head
//! is read: with tokio's own timer that is a sleep registered in the runtime's timer wheel and
//! taken out of it again for every request. This one keeps a single sleep per connection and
//! moves its deadline, which for a later deadline is one atomic update.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// The timer one connection's hyper is given (see the module's documentation).
#[derive(Clone)]
pub struct ConnectionTimer {
    sleep: Arc<Mutex<Pin<Box<tokio::time::Sleep>>>>,
}

impl ConnectionTimer {
    /// A timer for one connection; call within the runtime.
    pub fn new() -> ConnectionTimer {
        ConnectionTimer {
            sleep: Arc::new(Mutex::new(Box::pin(tokio::time::sleep(Duration::ZERO)))),
        }
    }
}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(Deadline {
            at: tokio::time::Instant::from_std(deadline),
            sleep: Arc::clone(&self.sleep),
        })
    }

    /// tokio's clock, as the sleep reads it (so a paused clock in a test is obeyed).
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// One wait hyper asked for: done when the connection's sleep, moved to `at`, is.
struct Deadline {
    at: tokio::time::Instant,
    sleep: Arc<Mutex<Pin<Box<tokio::time::Sleep>>>>,
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut sleep = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
        if sleep.deadline() != self.at {
            sleep.as_mut().reset(self.at);
        }
        sleep.as_mut().poll(cx)
    }
}

impl Sleep for Deadline {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_wait_ends_at_its_own_deadline_on_the_one_sleep() {
        let timer = ConnectionTimer::new();
        let start = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));

        // A later deadline, then an earlier one than the sleep was last set to.
        let later = timer.sleep(Duration::from_secs(30));
        drop(later);
        timer.sleep(Duration::from_secs(2)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(7));

        // A deadline already past is done at once.
        timer
            .sleep_until(timer.now() - Duration::from_secs(1))
            .await;
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }
}
