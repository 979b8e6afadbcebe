//! The delivery engine: fires due transitions and callback attempts as the clock reaches them
//! (the mini-redis expiry loop: a sorted schedule, a `Notify` to wake early, cancellation), and
//! sends smsoffice callbacks concurrently with a bounded number in flight.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::CallbackAck;
use crate::domain::Sim;
use crate::domain::callbacks::CallbackAttempt;
use crate::domain::clock::{ClockMode, Timestamp};
use crate::domain::schedule::{CallbackJob, Event};
use crate::providers::smsoffice::callbacks::job_for;

/// The documented source address of real smsoffice callbacks.
pub const SMSOFFICE_CALLBACK_SOURCE: &str = "91.239.206.90";
/// Longest receiver body kept in the callback log.
const BODY_KEPT: usize = 1024;
/// Longest real-time sleep between looks at the schedule, so a real clock moved by `advance`
/// is never missed for long.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// A cheap-to-clone handle on the engine of one simulation.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sim: Sim,
    client: Client<HttpConnector, Empty<Bytes>>,
    permits: Semaphore,
    tracker: TaskTracker,
    /// Serialises firing, so `advance` and the background loop never interleave.
    firing: tokio::sync::Mutex<()>,
}

impl Engine {
    /// An engine for `sim`; callback tasks are spawned on `tracker`, so shutdown can wait.
    pub fn new(sim: Sim, tracker: TaskTracker) -> Engine {
        let config = &sim.config().callbacks;
        let mut connector = HttpConnector::new();
        connector.set_local_address(config.bind);
        connector.set_connect_timeout(Some(Duration::from_millis(config.timeout_ms)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let permits = Semaphore::new(config.max_in_flight);
        Engine {
            inner: Arc::new(Inner {
                sim,
                client,
                permits,
                tracker,
                firing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The simulation this engine drives.
    pub fn sim(&self) -> &Sim {
        &self.inner.sim
    }

    /// Fires events as they fall due on a real clock until `cancel`; callbacks are not awaited
    /// here, so a slow receiver never holds up the schedule. A manual clock stands still until
    /// [`Engine::advance`], which fires by itself, so there is nothing to do.
    pub async fn run(self, cancel: CancellationToken) {
        let sim = &self.inner.sim;
        if sim.clock().mode() == ClockMode::Manual {
            return;
        }
        loop {
            self.fire_due(sim.now(), false).await;
            let next = sim.world().schedule.next_due();
            let sleep = next.map_or(MAX_SLEEP, |due| {
                Duration::from_millis(u64::try_from(due.0 - sim.now().0).unwrap_or(0))
                    .min(MAX_SLEEP)
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = sim.schedule_changed() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Moves the clock forward by `millis` and fires everything that falls due, in time order,
    /// waiting for each moment's callbacks (and the retries they schedule within the span)
    /// before the next. A manual clock steps through each due time, so timestamps are exact.
    pub async fn advance(&self, millis: i64) -> Timestamp {
        let sim = &self.inner.sim;
        let _firing = self.inner.firing.lock().await;
        let target = match sim.clock().mode() {
            ClockMode::Manual => Timestamp(sim.now().0 + millis.max(0)),
            ClockMode::Real => sim.clock().advance(millis),
        };
        self.fire_locked(target, true).await;
        sim.clock().move_to(target);
        sim.wake_engine();
        sim.now()
    }

    async fn fire_due(&self, until: Timestamp, wait: bool) {
        let _firing = self.inner.firing.lock().await;
        self.fire_locked(until, wait).await;
    }

    async fn fire_locked(&self, until: Timestamp, wait: bool) {
        let sim = &self.inner.sim;
        loop {
            let Some((due, events)) = sim.world().schedule.pop_due(until) else {
                return;
            };
            sim.clock().move_to(due);
            let handles = self.process(due, events);
            if wait {
                for handle in handles {
                    let _ = handle.await;
                }
            }
        }
    }

    /// Applies one moment's events; returns the callback tasks it started.
    fn process(&self, at: Timestamp, events: Vec<Event>) -> Vec<JoinHandle<()>> {
        let sim = &self.inner.sim;
        let config = sim.config();
        let mut jobs = Vec::new();
        {
            let mut world = sim.world();
            for event in events {
                match event {
                    Event::Transition {
                        message_id,
                        status,
                        reason,
                    } => {
                        if let Some((message, previous)) =
                            world.transition(message_id, status, reason, at)
                            && let Some(job) = job_for(
                                &world,
                                &message,
                                previous,
                                &config.quirks,
                                &config.operators,
                                at,
                            )
                        {
                            jobs.push(job);
                        }
                    }
                    Event::Callback(job) => jobs.push(job),
                }
            }
        }
        jobs.into_iter()
            .map(|job| {
                let engine = self.clone();
                self.inner
                    .tracker
                    .spawn(async move { engine.attempt(job, at).await })
            })
            .collect()
    }

    /// One callback attempt: GET the URL, record what came back, schedule a retry on failure.
    async fn attempt(&self, job: CallbackJob, at: Timestamp) {
        let sim = &self.inner.sim;
        let config = sim.config();
        let Ok(_permit) = self.inner.permits.acquire().await else {
            return;
        };
        let timeout = Duration::from_millis(config.callbacks.timeout_ms);
        let answer = tokio::time::timeout(timeout, self.get(&job.url)).await;
        let (status, body, error) = match answer {
            Ok(Ok((status, body))) => (Some(status), Some(body), None),
            Ok(Err(e)) => (None, None, Some(e)),
            Err(_) => (
                None,
                None,
                Some(format!(
                    "no answer within {} ms",
                    config.callbacks.timeout_ms
                )),
            ),
        };
        let acknowledged = status.is_some_and(|s| (200..300).contains(&s))
            && body
                .as_deref()
                .is_some_and(|b| match config.quirks.smsoffice_callback_ack {
                    CallbackAck::Trimmed => b.trim() == "OK",
                    CallbackAck::Exact => b == "OK",
                });
        let backoff = &config.callbacks.retry_backoff_seconds;
        let retry_at = (!acknowledged)
            .then(|| backoff.get(job.attempt as usize - 1))
            .flatten()
            .map(|seconds| at.plus_seconds(*seconds));
        {
            let mut world = sim.world();
            let url = job.url.clone();
            world.callbacks.record(|id| CallbackAttempt {
                id,
                message_id: job.message_id,
                url,
                attempt: job.attempt,
                at,
                status,
                body,
                error,
                acknowledged,
                given_up: !acknowledged && retry_at.is_none(),
                retry_at,
            });
            if let Some(retry_at) = retry_at {
                world.schedule.push(
                    retry_at,
                    Event::Callback(CallbackJob {
                        attempt: job.attempt + 1,
                        ..job
                    }),
                );
            }
        }
        if retry_at.is_some() {
            sim.wake_engine();
        }
    }

    async fn get(&self, url: &str) -> Result<(u16, String), String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("invalid callback URL: {e}"))?;
        let mut request =
            hyper::Request::get(uri).header(hyper::header::USER_AGENT, "smsim-callback");
        if self.inner.sim.config().callbacks.forwarded_headers {
            request = request
                .header("X-Forwarded-For", SMSOFFICE_CALLBACK_SOURCE)
                .header("X-Real-IP", SMSOFFICE_CALLBACK_SOURCE);
        }
        let request = request
            .body(Empty::new())
            .map_err(|e| format!("invalid callback request: {e}"))?;
        let response = self
            .inner
            .client
            .request(request)
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let bytes = Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await
            .map_err(|e| format!("reading the receiver's body: {e}"))?
            .to_bytes();
        let kept = &bytes[..bytes.len().min(BODY_KEPT)];
        Ok((status, String::from_utf8_lossy(kept).into_owned()))
    }
}

/// The innermost cause of a client error, which says what actually happened (refused...).
fn describe(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}
