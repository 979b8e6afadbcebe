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

use crate::config::Config;
use crate::domain::callbacks::CallbackAttempt;
use crate::domain::clock::{ClockMode, Timestamp};
use crate::domain::faults::{FaultKind, Target};
use crate::domain::messages::Status;
use crate::domain::schedule::{CallbackJob, Event};
use crate::providers::Descriptor;
use crate::providers::smsoffice::callbacks::{SOURCE_ADDRESS, job_for};
use crate::providers::smsoffice::{CallbackAck, Smsoffice};
use crate::sim::{Sim, State};
/// Longest receiver body kept in the callback log.
const BODY_KEPT: usize = 1024;
/// Longest real-time sleep between looks at the schedule, so a real clock moved by `advance`
/// is never missed for long.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// What one callback GET came to: the receiver's status and body, or the transport error.
#[derive(Debug, Clone, Default)]
struct Response {
    /// The receiver's HTTP status.
    status: Option<u16>,
    /// The receiver's body, shortened.
    body: Option<String>,
    /// Why no answer came.
    error: Option<String>,
}

impl Response {
    /// No answer, for `why`.
    fn failed(why: impl Into<String>) -> Response {
        Response {
            error: Some(why.into()),
            ..Response::default()
        }
    }

    /// An answer.
    fn answered(status: u16, body: String) -> Response {
        Response {
            status: Some(status),
            body: Some(body),
            error: None,
        }
    }
}

/// On a real clock, events fire at most this long after they fall due: wake-ups from new
/// messages are gathered over one tick.
const TICK: Duration = Duration::from_millis(5);

/// What became of one callback attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The receiver answered `OK`.
    Acknowledged,
    /// Not acknowledged; tried again at this time.
    RetryAt(Timestamp),
    /// Not acknowledged, and it was the last attempt allowed.
    GivenUp,
    /// Lost to an injected fault: never sent, neither retried nor given up.
    Dropped,
}

/// Why a message's fate cannot be decided by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecidable {
    /// No such message is held.
    NotFound,
    /// It already ended in this state.
    Final(Status),
}

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
            let next = sim.state().world.schedule.next_due();
            let sleep = next.map_or(MAX_SLEEP, |due| {
                Duration::from_millis(u64::try_from(due.0 - sim.now().0).unwrap_or(0))
                    .min(MAX_SLEEP)
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                // A burst of sends wakes the engine once per tick, not once per send.
                _ = sim.schedule_changed() => tokio::time::sleep(TICK).await,
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
            let Some((due, events)) = sim.state().world.schedule.pop_due(until) else {
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
    fn process(&self, at: Timestamp, mut events: Vec<Event>) -> Vec<JoinHandle<()>> {
        let sim = &self.inner.sim;
        let config = sim.config();
        let mut jobs = Vec::new();
        {
            let mut state = sim.state();
            let state = &mut *state;
            for event in events.drain(..) {
                match event {
                    Event::Transition {
                        message_id,
                        status,
                        reason,
                    } => jobs.extend(transition(state, config, message_id, status, reason, at)),
                    Event::Callback(job) => jobs.push(job),
                }
            }
            state.world.schedule.recycle(events);
        }
        self.start(jobs, at)
    }

    /// Starts one task per callback attempt.
    fn start(&self, jobs: Vec<CallbackJob>, at: Timestamp) -> Vec<JoinHandle<()>> {
        jobs.into_iter()
            .map(|job| {
                let engine = self.clone();
                self.inner
                    .tracker
                    .spawn(async move { engine.attempt(job, at).await })
            })
            .collect()
    }

    /// Decides a message's fate by hand: moves it to the final `status` now (through `pending`
    /// first if it was not handed over yet), with the callbacks its rule would have caused, and
    /// waits for their first attempts. Its scheduled transitions then find it final and do
    /// nothing.
    pub async fn decide(
        &self,
        message_id: u64,
        status: Status,
        reason: Option<String>,
    ) -> Result<(), Undecidable> {
        let sim = &self.inner.sim;
        let config = sim.config();
        let at = sim.now();
        let jobs = {
            let mut state = sim.state();
            let state = &mut *state;
            let world = &mut state.world;
            let current = world
                .messages
                .get(message_id)
                .ok_or(Undecidable::NotFound)?
                .status;
            if current.is_final() {
                return Err(Undecidable::Final(current));
            }
            let handover = matches!(current, Status::Accepted | Status::Scheduled);
            let reason = (status != Status::Delivered).then_some(reason).flatten();
            let steps = handover
                .then_some((Status::Pending, None))
                .into_iter()
                .chain([(status, reason)]);
            steps
                .filter_map(|(step, reason)| {
                    transition(state, config, message_id, step, reason, at)
                })
                .collect::<Vec<_>>()
        };
        for handle in self.start(jobs, at) {
            let _ = handle.await;
        }
        Ok(())
    }

    /// One callback attempt: apply a callback fault if one is picked, GET the URL, record what
    /// came back, schedule a retry on failure.
    async fn attempt(&self, job: CallbackJob, at: Timestamp) {
        let sim = &self.inner.sim;
        let picked = match job.fault {
            Some(_) => None,
            None => {
                let mut state = sim.state();
                let world = &mut state.world;
                world
                    .faults
                    .pick(Target::Callback(Smsoffice::PROVIDER), &mut world.rng)
            }
        };
        let noted = job
            .fault
            .clone()
            .or_else(|| picked.as_ref().map(|f| f.text.clone()));
        let response = match picked.map(|f| f.kind) {
            Some(FaultKind::Delay(delay)) => {
                let later = Timestamp(at.0 + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
                sim.state().world.schedule.push(
                    later,
                    Event::Callback(CallbackJob {
                        fault: noted,
                        ..job
                    }),
                );
                sim.wake_engine();
                return;
            }
            Some(FaultKind::Drop) => {
                let dropped = Response::failed("dropped by fault: never sent");
                self.record(&job, at, dropped, Verdict::Dropped, noted);
                return;
            }
            Some(FaultKind::Http(status)) => Response::answered(status, String::new()),
            Some(FaultKind::Duplicate) => {
                let first = self.call(&job.url).await;
                let second = self.call(&job.url).await;
                let verdict = if self.acknowledged(&second) {
                    Verdict::Acknowledged
                } else {
                    Verdict::GivenUp
                };
                self.record(&job, at, second, verdict, noted.clone());
                first
            }
            _ => self.call(&job.url).await,
        };
        let acknowledged = self.acknowledged(&response);
        let backoff = &sim.config().callbacks.retry_backoff_seconds;
        let retry_at = (!acknowledged)
            .then(|| backoff.get(job.attempt as usize - 1))
            .flatten()
            .map(|seconds| at.plus_seconds(*seconds));
        let verdict = match (acknowledged, retry_at) {
            (true, _) => Verdict::Acknowledged,
            (false, Some(at)) => Verdict::RetryAt(at),
            (false, None) => Verdict::GivenUp,
        };
        self.record(&job, at, response, verdict, noted);
        if let Some(retry_at) = retry_at {
            let next = CallbackJob {
                attempt: job.attempt + 1,
                fault: None,
                ..job
            };
            sim.state()
                .world
                .schedule
                .push(retry_at, Event::Callback(next));
            sim.wake_engine();
        }
    }

    /// One GET within the timeout and the in-flight bound: (status, body, transport error).
    async fn call(&self, url: &str) -> Response {
        let Ok(_permit) = self.inner.permits.acquire().await else {
            return Response::failed("engine stopped");
        };
        let timeout_ms = self.inner.sim.config().callbacks.timeout_ms;
        match tokio::time::timeout(Duration::from_millis(timeout_ms), self.get(url)).await {
            Ok(Ok((status, body))) => Response::answered(status, body),
            Ok(Err(e)) => Response::failed(e),
            Err(_) => Response::failed(format!("no answer within {timeout_ms} ms")),
        }
    }

    /// A 2xx whose body is `OK` (per the `smsoffice.callback_ack` quirk).
    fn acknowledged(&self, response: &Response) -> bool {
        response.status.is_some_and(|s| (200..300).contains(&s))
            && response.body.as_deref().is_some_and(|b| {
                match self.inner.sim.config().quirks.smsoffice.callback_ack {
                    CallbackAck::Trimmed => b.trim() == "OK",
                    CallbackAck::Exact => b == "OK",
                }
            })
    }

    fn record(
        &self,
        job: &CallbackJob,
        at: Timestamp,
        Response {
            status,
            body,
            error,
        }: Response,
        verdict: Verdict,
        fault: Option<String>,
    ) {
        let acknowledged = verdict == Verdict::Acknowledged;
        let given_up = verdict == Verdict::GivenUp;
        let retry_at = match verdict {
            Verdict::RetryAt(at) => Some(at),
            _ => None,
        };
        let sim = &self.inner.sim;
        let id = {
            let mut state = sim.state();
            let world = &mut state.world;
            let account = world
                .messages
                .get(job.message_id)
                .map(|m| m.account.to_string());
            world.callbacks.record(|id| CallbackAttempt {
                id,
                message_id: job.message_id,
                account,
                url: job.url.clone(),
                attempt: job.attempt,
                at,
                status,
                body,
                error,
                acknowledged,
                given_up,
                retry_at,
                fault,
            })
        };
        sim.events().publish(crate::events::Event::Callback(id));
    }

    async fn get(&self, url: &str) -> Result<(u16, String), String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("invalid callback URL: {e}"))?;
        let mut request =
            hyper::Request::get(uri).header(hyper::header::USER_AGENT, "smsim-callback");
        if self.inner.sim.config().callbacks.forwarded_headers {
            request = request
                .header("X-Forwarded-For", SOURCE_ADDRESS)
                .header("X-Real-IP", SOURCE_ADDRESS);
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

/// Moves a message to `status` at `at`; the callback its account is owed for it, if any.
fn transition(
    state: &mut State,
    config: &Config,
    message_id: u64,
    status: Status,
    reason: Option<String>,
    at: Timestamp,
) -> Option<CallbackJob> {
    let world = &mut state.world;
    let previous = world.transition(message_id, status, reason, at)?;
    let message = world.messages.get(message_id)?;
    job_for(
        &state.smsoffice,
        message,
        previous,
        &config.quirks.smsoffice,
        &config.operators,
        at,
    )
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
