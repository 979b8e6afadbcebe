//! A connection's service raced against the signals that end it early (a request's kill switch,
//! the server's shutdown). `tokio::select!` polls every branch on every wake-up of the task, and
//! a kept-alive connection wakes for every request, while a signal fires once in its life if at
//! all: [`until_signal`] polls the signals only when they themselves woke the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::Either;
use futures_util::task::AtomicWaker;

/// `main` until it completes, or `signal` if that completes first; `signal` is polled at the
/// first poll and afterwards only once it has woken the task.
pub fn until_signal<M, S>(main: M, signal: S) -> UntilSignal<M, S>
where
    M: Future + Unpin,
    S: Future + Unpin,
{
    UntilSignal {
        main,
        signal,
        flag: Arc::new(SignalFlag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        }),
    }
}

/// The future [`until_signal`] makes.
pub struct UntilSignal<M, S> {
    main: M,
    signal: S,
    flag: Arc<SignalFlag>,
}

/// The waker the signal is polled with: it notes that the signal is ready to be polled, then
/// wakes the task.
struct SignalFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SignalFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<M, S> Future for UntilSignal<M, S>
where
    M: Future + Unpin,
    S: Future + Unpin,
{
    type Output = Either<M::Output, S::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(done) = Pin::new(&mut this.main).poll(cx) {
            return Poll::Ready(Either::Left(done));
        }
        // Registered before the flag is read: a signal firing in between still wakes the task.
        this.flag.task.register(cx.waker());
        if this.flag.woken.swap(false, Ordering::AcqRel) {
            let waker = Waker::from(Arc::clone(&this.flag));
            let mut signal_cx = Context::from_waker(&waker);
            if let Poll::Ready(signalled) = Pin::new(&mut this.signal).poll(&mut signal_cx) {
                return Poll::Ready(Either::Right(signalled));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// A future counting its polls, done when its channel sends.
    struct Counted {
        polls: Arc<AtomicUsize>,
        fired: tokio::sync::oneshot::Receiver<&'static str>,
    }

    impl Future for Counted {
        type Output = &'static str;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            Pin::new(&mut self.fired)
                .poll(cx)
                .map(|r| r.unwrap_or("dropped"))
        }
    }

    fn counted() -> (
        Counted,
        Arc<AtomicUsize>,
        tokio::sync::oneshot::Sender<&'static str>,
    ) {
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let signal = Counted {
            polls: polls.clone(),
            fired: rx,
        };
        (signal, polls, tx)
    }

    #[tokio::test]
    async fn the_main_future_wakes_many_times_without_the_signal_being_polled_again() {
        let (signal, polls, _keep) = counted();
        let (ticks, mut received) = tokio::sync::mpsc::channel(1);
        let main = Box::pin(async move {
            let mut seen = 0;
            while received.recv().await.is_some() {
                seen += 1;
            }
            seen
        });
        let sender = tokio::spawn(async move {
            for _ in 0..50 {
                ticks.send(()).await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        let ended = until_signal(main, signal).await;
        sender.await.unwrap();
        assert!(matches!(ended, Either::Left(50)));
        assert_eq!(polls.load(Ordering::Relaxed), 1, "polled once, to register");
    }

    #[tokio::test]
    async fn a_signal_ends_the_wait_while_the_main_future_is_pending() {
        let (signal, polls, fire) = counted();
        let waiting = tokio::spawn(until_signal(std::future::pending::<()>(), signal));
        tokio::task::yield_now().await;
        fire.send("killed").unwrap();
        let ended = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("the signal wakes the task")
            .unwrap();
        assert!(matches!(ended, Either::Right("killed")));
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }
}
