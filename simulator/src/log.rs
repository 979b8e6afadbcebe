//! The log: every line goes to stderr through one buffer that its own thread drains, so a slow,
//! full or unread stderr never slows the server (past [`MAX_PENDING_BYTES`] lines are dropped and
//! counted). The line each provider request writes is formatted straight into a reused buffer
//! rather than through tracing's general formatter, in the same text or JSON shape tracing gives
//! every other line: it is written once per request, so its cost is the server's. Past a number of
//! request lines a second (`limits.log_lines_per_second`) the rest of that second's are counted,
//! not written, and a summary line says how many: a load test's log stays readable and costs the
//! server next to nothing, while the journal still holds every request.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use crate::config::LogFormat;

/// Bytes of log waiting for stderr before new lines are dropped (and counted): about 20,000
/// request lines.
pub const MAX_PENDING_BYTES: usize = 4 << 20;

/// How often the writer looks for lines while lines keep coming.
const POLL: Duration = Duration::from_millis(10);
/// Empty looks after which the writer sleeps until a line wakes it.
const IDLE_POLLS: u32 = 10;

/// The target request lines are written under, as tracing would name it.
const TARGET: &str = "smsim::gateway::journal";

/// The target of the summary of request lines not written.
const SUMMARY_TARGET: &str = "smsim::log";

/// What the summary of request lines not written says, before its counts.
const SUMMARY_MESSAGE: &str = "request lines over the limit a second not written \
    (GET /__admin/requests has every request; --log-lines-per-second 0 writes them all)";

/// How often at most a summary of request lines not written is written.
const SUMMARY_EVERY: Duration = Duration::from_secs(1);

/// Request lines written in one second at most by default: every request of a test suite, while
/// a load test's hundred thousand a second cost the server next to nothing.
pub const DEFAULT_LINES_PER_SECOND: u64 = 1000;

/// Shards of the count of request lines not written.
const SKIP_SHARDS: usize = 16;

/// One shard of a count, alone on its cache line: threads counting at once each add to their
/// own, instead of passing one line between their cores on every request.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(AtomicU64);

/// The shard each thread counts in, handed out in turn.
static NEXT_SHARD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SKIP_SHARDS;
}

/// Which request lines are written: at most `per_second` in each second of wall time (0: all).
/// Approximate across threads: two threads opening a second at once each start its count afresh.
/// Once a second's lines are taken, a request only reads the shared counts and adds to its own
/// thread's shard of the lines not written.
#[derive(Debug)]
struct Limiter {
    per_second: u64,
    /// The second being counted, in Unix seconds.
    second: AtomicU64,
    /// Request lines taken in that second.
    taken: AtomicU64,
    /// Request lines not written since the last summary, by thread.
    skipped: [Shard; SKIP_SHARDS],
}

impl Limiter {
    fn new(per_second: u64) -> Limiter {
        Limiter {
            per_second,
            second: AtomicU64::new(0),
            taken: AtomicU64::new(0),
            skipped: Default::default(),
        }
    }

    /// Whether a request line in Unix second `now` is written; one that is not is counted.
    #[inline]
    fn admit(&self, now: u64) -> Admitted {
        if self.per_second == 0 {
            return Admitted::Yes;
        }
        if self.second.load(Ordering::Relaxed) != now {
            self.second.store(now, Ordering::Relaxed);
            self.taken.store(0, Ordering::Relaxed);
        }
        if self.taken.load(Ordering::Relaxed) < self.per_second
            && self.taken.fetch_add(1, Ordering::Relaxed) < self.per_second
        {
            return Admitted::Yes;
        }
        let shard = &self.skipped[SHARD.with(|shard| *shard)];
        // SeqCst, as the writer's look at the count after it says it sleeps: one of the two
        // sees the other.
        match shard.0.fetch_add(1, Ordering::SeqCst) {
            0 => Admitted::FirstSkipped,
            _ => Admitted::Skipped,
        }
    }

    /// The request lines not written since the last call.
    fn take_skipped(&self) -> u64 {
        self.skipped
            .iter()
            .map(|shard| shard.0.swap(0, Ordering::Relaxed))
            .sum()
    }

    /// Whether some request line was not written since [`Limiter::take_skipped`].
    fn any_skipped(&self) -> bool {
        self.skipped
            .iter()
            .any(|shard| shard.0.load(Ordering::SeqCst) > 0)
    }
}

/// What [`Limiter::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admitted {
    /// The line is written.
    Yes,
    /// The line is only counted, the first since the last summary (on its thread).
    FirstSkipped,
    /// The line is only counted.
    Skipped,
}

/// Where the log's lines wait for the writer thread.
#[derive(Debug)]
struct Sink {
    pending: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    /// Which request lines are written; the writer summarises the others.
    limiter: Limiter,
    /// The shape of request and summary lines.
    format: LogFormat,
    /// Request and summary lines go through tracing's formatter (which colours them on a
    /// terminal), not straight into the sink.
    traced: bool,
    /// The writer is parked until woken (no line came for a while).
    sleeping: AtomicBool,
    stopping: AtomicBool,
    writer: OnceLock<std::thread::Thread>,
}

impl Sink {
    /// Queues `bytes` (whole lines) for stderr, or drops and counts them when too much waits.
    fn push(&self, bytes: &[u8]) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if pending.len() + bytes.len() > MAX_PENDING_BYTES {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            pending.extend_from_slice(bytes);
        }
        self.wake();
    }

    /// Wakes the writer if it sleeps: under load it finds the lines on its next look.
    #[inline]
    fn wake(&self) {
        if self.sleeping.load(Ordering::SeqCst)
            && let Some(writer) = self.writer.get()
        {
            writer.unpark();
        }
    }

    /// Writes the summary of request lines not written since the last one, if there were any;
    /// true when it went through tracing and waits in `pending`.
    fn summarise(&self, out: &mut impl std::io::Write) -> bool {
        let skipped = self.limiter.take_skipped();
        let per_second = self.limiter.per_second;
        if skipped == 0 {
            return false;
        }
        if self.traced {
            tracing::info!(target: SUMMARY_TARGET, skipped, per_second, "{SUMMARY_MESSAGE}");
            return true;
        }
        let _ = out.write_all(summary_line(self.format, skipped, per_second).as_bytes());
        let _ = out.flush();
        false
    }

    /// The writer thread: takes everything waiting and writes it at once, and at most once a
    /// second the summary of request lines not written. `out` is locked for each write only
    /// (stderr's lock held for good would block every `eprintln!`).
    fn drain(&self, mut out: impl std::io::Write) {
        let mut batch = Vec::with_capacity(64 * 1024);
        let mut idle = 0;
        let mut last_summary = Instant::now();
        loop {
            std::mem::swap(
                &mut batch,
                &mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()),
            );
            if !batch.is_empty() {
                let _ = out.write_all(&batch);
                let _ = out.flush();
                batch.clear();
                idle = 0;
            } else if self.stopping.load(Ordering::SeqCst) {
                // A summary made through tracing waits in `pending`: one more look writes it.
                if self.summarise(&mut out) {
                    continue;
                }
                return;
            } else {
                idle += 1;
            }
            if last_summary.elapsed() >= SUMMARY_EVERY {
                self.summarise(&mut out);
                last_summary = Instant::now();
            }
            if idle < IDLE_POLLS {
                std::thread::park_timeout(POLL);
                continue;
            }
            self.sleeping.store(true, Ordering::SeqCst);
            // A line pushed before this look is seen here; one pushed after it sees `sleeping`
            // and wakes the writer.
            let empty = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty();
            if empty && !self.stopping.load(Ordering::SeqCst) {
                if self.limiter.any_skipped() {
                    // Lines not written wait for their summary, due within the second.
                    std::thread::park_timeout(SUMMARY_EVERY.saturating_sub(last_summary.elapsed()));
                } else {
                    std::thread::park();
                }
            }
            self.sleeping.store(false, Ordering::SeqCst);
            idle = 0;
        }
    }
}

/// What tracing's formatter writes with: each event's formatted bytes go to the sink.
#[derive(Debug, Clone)]
struct SinkWriter(Arc<Sink>);

impl std::io::Write for SinkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.push(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SinkWriter {
    type Writer = SinkWriter;

    fn make_writer(&'a self) -> SinkWriter {
        self.clone()
    }
}

/// The request lines' own path, when the process installed the log and its filter lets
/// request lines through.
#[derive(Debug)]
struct RequestLines {
    sink: Arc<Sink>,
}

static REQUEST_LINES: OnceLock<RequestLines> = OnceLock::new();

/// The installed log; dropping it writes what is still waiting and stops the writer.
#[derive(Debug)]
pub struct LogGuard {
    sink: Arc<Sink>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl LogGuard {
    /// Lines dropped so far because stderr was not read as fast as they came.
    pub fn dropped_lines(&self) -> u64 {
        self.sink.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.sink.stopping.store(true, Ordering::SeqCst);
        if let Some(writer) = self.writer.take() {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

/// Installs the process's log: tracing's subscriber with `filter` (a tracing filter such as
/// `info` or `warn`) writing through the sink, and the request lines' direct path, at most
/// `lines_per_second` of them a second (0: all). Colour only when stderr is a terminal; request
/// lines then go through tracing's formatter, which colours.
pub fn install(
    format: LogFormat,
    filter: tracing_subscriber::EnvFilter,
    lines_per_second: u64,
) -> LogGuard {
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    let sink = Arc::new(Sink {
        pending: Mutex::new(Vec::with_capacity(64 * 1024)),
        dropped: AtomicU64::new(0),
        limiter: Limiter::new(lines_per_second),
        format,
        traced: ansi,
        sleeping: AtomicBool::new(false),
        stopping: AtomicBool::new(false),
        writer: OnceLock::new(),
    });
    let drained = sink.clone();
    let writer = std::thread::Builder::new()
        .name("smsim-log".into())
        .spawn(move || drained.drain(std::io::stderr()))
        .ok();
    if let Some(writer) = &writer {
        let _ = sink.writer.set(writer.thread().clone());
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(SinkWriter(sink.clone()));
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if installed.is_ok() && tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        let _ = REQUEST_LINES.set(RequestLines { sink: sink.clone() });
    }
    LogGuard { sink, writer }
}

/// Query parameters that may carry the admin token (the event stream takes `access_token`).
const ADMIN_TOKEN_PARAMS: [&str; 2] = ["access_token", "token"];

/// Every parameter name the log masks, decoded: any provider's credential or the admin token.
static CREDENTIAL_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut names: Vec<&'static str> = ADMIN_TOKEN_PARAMS.to_vec();
    for entry in crate::providers::ENTRIES {
        for (name, _) in entry.credentials {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    names
});

/// Writes `target` in pieces to `emit`, every credential parameter's value as `***`. Scans bytes
/// and hands on runs between masked values, so a target without credentials is one piece.
fn mask(target: &str, mut emit: impl FnMut(&str)) {
    let bytes = target.as_bytes();
    let Some(question) = memchr::memchr(b'?', bytes) else {
        return emit(target);
    };
    let mut unwritten = 0;
    let mut item = question + 1;
    while item <= bytes.len() {
        let end = memchr::memchr(b'&', &bytes[item..]).map_or(bytes.len(), |i| item + i);
        if let Some(equals) = memchr::memchr(b'=', &bytes[item..end]) {
            let value = item + equals + 1;
            // `&`, `=` and `?` are ASCII: every index here is a character boundary.
            if value < end && is_credential(&target[item..value - 1]) {
                emit(&target[unwritten..value]);
                emit("***");
                unwritten = end;
            }
        }
        item = end + 1;
    }
    emit(&target[unwritten..]);
}

/// A request target shown with its credentials masked (through tracing's formatter).
struct Masked<'a>(&'a str);

impl std::fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut result = Ok(());
        mask(self.0, |piece| {
            if result.is_ok() {
                result = f.write_str(piece);
            }
        });
        result
    }
}

/// Whether a raw parameter name names a credential, read as PHP and ASP.NET read names
/// (percent-decoded, any case, spaces and an array suffix ignored).
#[inline]
fn is_credential(raw_name: &str) -> bool {
    // Most names are plain: read them as they are, without decoding into a new string.
    if !raw_name
        .bytes()
        .any(|b| matches!(b, b'%' | b'+' | b'[' | b' '))
    {
        return credential_name(raw_name);
    }
    decoded_is_credential(raw_name)
}

/// [`is_credential`] of a name that must be decoded first.
#[cold]
#[inline(never)]
fn decoded_is_credential(raw_name: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(&raw_name.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    let name = decoded.trim();
    credential_name(name.split('[').next().unwrap_or(name).trim())
}

/// The lengths of [`CREDENTIAL_NAMES`], one bit each: most parameter names are ruled out by
/// their length alone.
static CREDENTIAL_LENGTHS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    CREDENTIAL_NAMES.iter().fold(0, |bits, name| {
        bits | 1u64.checked_shl(name.len() as u32).unwrap_or(0)
    })
});

/// Whether `name` (decoded) is any provider's credential name or the admin token's: the log
/// masks them whatever the path.
#[inline]
fn credential_name(name: &str) -> bool {
    let length_bit = 1u64.checked_shl(name.len() as u32).unwrap_or(0);
    *CREDENTIAL_LENGTHS & length_bit != 0
        && CREDENTIAL_NAMES
            .iter()
            .any(|credential| name.eq_ignore_ascii_case(credential))
}

/// One provider request, as its log line says it.
#[derive(Debug)]
pub(crate) struct RequestLine<'a> {
    /// The method.
    pub method: &'a str,
    /// The target as received (cut to the log's length); credentials are masked when written.
    pub target: &'a str,
    /// The provider and endpoint, shown with lints or a fault.
    pub provider: Option<&'a str>,
    /// The endpoint.
    pub endpoint: Option<&'a str>,
    /// The status answered, if a reply was sent.
    pub status: Option<u16>,
    /// Lints noted.
    pub lints: &'a [String],
    /// The fault injected.
    pub fault: Option<&'a str>,
}

impl RequestLine<'_> {
    /// Writes the line: straight into the sink when the log is installed, else as a tracing
    /// event (a library user's own subscriber gets it).
    pub(crate) fn write(&self) {
        match REQUEST_LINES.get() {
            Some(lines) => lines.write(self),
            None => self.trace(),
        }
    }

    fn trace(&self) {
        let (method, target, status, fault) =
            (self.method, Masked(self.target), self.status, self.fault);
        if self.lints.is_empty() && fault.is_none() {
            tracing::info!(target: TARGET, method = %method, target = %target, status, "request");
        } else {
            tracing::info!(
                target: TARGET,
                method = %method,
                target = %target,
                provider = self.provider,
                endpoint = self.endpoint,
                status,
                lints = ?self.lints,
                fault,
                "request"
            );
        }
    }
}

thread_local! {
    /// Each thread's line being formatted, and the second its timestamp prefix was made for.
    static LINE: std::cell::RefCell<(String, u64, String)> =
        const { std::cell::RefCell::new((String::new(), u64::MAX, String::new())) };
}

impl RequestLines {
    fn write(&self, request: &RequestLine<'_>) {
        let now = since_epoch();
        match self.sink.limiter.admit(now.as_secs()) {
            Admitted::Yes => {}
            // The writer summarises the lines not written: a writer asleep because there were
            // none is woken by the first (while some wait, it sleeps only until the summary).
            Admitted::FirstSkipped => return self.sink.wake(),
            Admitted::Skipped => return,
        }
        if self.sink.traced {
            return request.trace();
        }
        LINE.with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                return request.trace();
            };
            let (text, second, prefix) = &mut *line;
            text.clear();
            let written = match self.sink.format {
                LogFormat::Text => {
                    write_timestamp(text, now, second, prefix);
                    text_line(text, request)
                }
                LogFormat::Json => {
                    text.push_str("{\"timestamp\":\"");
                    write_timestamp(text, now, second, prefix);
                    json_line(text, request)
                }
            };
            if written.is_ok() {
                text.push('\n');
                self.sink.push(text.as_bytes());
            }
        });
    }
}

/// Wall time since the Unix epoch.
fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

/// The summary of `skipped` request lines not written, over the limit of `per_second`, in the
/// log's shape.
fn summary_line(format: LogFormat, skipped: u64, per_second: u64) -> String {
    let (mut out, mut second, mut prefix) = (String::new(), u64::MAX, String::new());
    match format {
        LogFormat::Text => {
            write_timestamp(&mut out, since_epoch(), &mut second, &mut prefix);
            let _ = writeln!(
                out,
                "  INFO {SUMMARY_TARGET}: {SUMMARY_MESSAGE} skipped={skipped} per_second={per_second}"
            );
        }
        LogFormat::Json => {
            out.push_str("{\"timestamp\":\"");
            write_timestamp(&mut out, since_epoch(), &mut second, &mut prefix);
            let fields = serde_json::json!({
                "message": SUMMARY_MESSAGE,
                "skipped": skipped,
                "per_second": per_second,
            });
            let _ = writeln!(
                out,
                "\",\"level\":\"INFO\",\"fields\":{fields},\"target\":\"{SUMMARY_TARGET}\"}}"
            );
        }
    }
    out
}

/// `2026-12-04T17:23:16.798615Z` for `since_epoch`, as tracing writes it; the part up to the
/// second is made once a second per thread.
fn write_timestamp(out: &mut String, since_epoch: Duration, second: &mut u64, prefix: &mut String) {
    let now = since_epoch.as_secs();
    if now != *second {
        *second = now;
        prefix.clear();
        let at = time::OffsetDateTime::from_unix_timestamp(now as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let _ = write!(
            prefix,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
    }
    out.push_str(prefix);
    out.push('.');
    push_digits(out, since_epoch.subsec_micros(), 6);
    out.push('Z');
}

fn text_line(out: &mut String, r: &RequestLine<'_>) -> std::fmt::Result {
    out.push_str("  INFO smsim::gateway::journal: request method=");
    out.push_str(r.method);
    out.push_str(" target=");
    mask(r.target, |piece| out.push_str(piece));
    let detailed = !r.lints.is_empty() || r.fault.is_some();
    if detailed {
        if let Some(provider) = r.provider {
            write!(out, " provider={provider:?}")?;
        }
        if let Some(endpoint) = r.endpoint {
            write!(out, " endpoint={endpoint:?}")?;
        }
    }
    if let Some(status) = r.status {
        out.push_str(" status=");
        push_digits(out, u32::from(status), 1);
    }
    if detailed {
        write!(out, " lints={:?}", r.lints)?;
        if let Some(fault) = r.fault {
            write!(out, " fault={fault:?}")?;
        }
    }
    Ok(())
}

/// Appends `n` in decimal with at least `width` digits (leading zeros), without the formatting
/// machinery.
fn push_digits(out: &mut String, mut n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    while n > 0 || digits.len() - start < width.clamp(1, digits.len()) {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// The rest of a JSON line, after `{"timestamp":"` and the timestamp.
fn json_line(out: &mut String, r: &RequestLine<'_>) -> std::fmt::Result {
    out.push_str("\",\"level\":\"INFO\",\"fields\":{\"message\":\"request\",\"method\":");
    json_string(out, r.method)?;
    out.push_str(",\"target\":");
    let mut target = String::with_capacity(r.target.len());
    mask(r.target, |piece| target.push_str(piece));
    json_string(out, &target)?;
    let detailed = !r.lints.is_empty() || r.fault.is_some();
    if detailed {
        if let Some(provider) = r.provider {
            out.push_str(",\"provider\":");
            json_string(out, provider)?;
        }
        if let Some(endpoint) = r.endpoint {
            out.push_str(",\"endpoint\":");
            json_string(out, endpoint)?;
        }
    }
    if let Some(status) = r.status {
        write!(out, ",\"status\":{status}")?;
    }
    if detailed {
        out.push_str(",\"lints\":");
        json_string(out, &format!("{:?}", r.lints))?;
        if let Some(fault) = r.fault {
            out.push_str(",\"fault\":");
            json_string(out, fault)?;
        }
    }
    write!(out, "}},\"target\":\"{TARGET}\"}}")
}

/// `text` as a JSON string.
fn json_string(out: &mut String, text: &str) -> std::fmt::Result {
    out.push_str(&serde_json::to_string(text).map_err(|_| std::fmt::Error)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(lints: &[String], fault: Option<&str>, status: Option<u16>) -> RequestLine<'static> {
        RequestLine {
            method: "GET",
            target: "/api/v2/send/?key=***&content=\"hi\"",
            provider: Some("smsoffice"),
            endpoint: Some("send"),
            status,
            lints: Vec::leak(lints.to_vec()),
            fault: fault.map(|f| &*String::leak(f.to_owned())),
        }
    }

    #[test]
    fn text_lines_have_tracings_shape() {
        let mut out = String::new();
        text_line(&mut out, &line(&[], None, Some(200))).unwrap();
        assert_eq!(
            out,
            "  INFO smsim::gateway::journal: request method=GET target=/api/v2/send/?key=***&content=\"hi\" status=200"
        );
        out.clear();
        text_line(&mut out, &line(&["a \"b\"".into()], Some("reset"), None)).unwrap();
        assert_eq!(
            out,
            "  INFO smsim::gateway::journal: request method=GET target=/api/v2/send/?key=***&content=\"hi\" provider=\"smsoffice\" endpoint=\"send\" lints=[\"a \\\"b\\\"\"] fault=\"reset\""
        );
    }

    #[test]
    fn json_lines_are_json_with_tracings_fields() {
        let mut out = String::from("{\"timestamp\":\"2026-12-04T17:23:16.798615Z");
        json_line(&mut out, &line(&["x".into()], None, Some(200))).unwrap();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["timestamp"], "2026-12-04T17:23:16.798615Z");
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], TARGET);
        assert_eq!(value["fields"]["message"], "request");
        assert_eq!(
            value["fields"]["target"],
            "/api/v2/send/?key=***&content=\"hi\""
        );
        assert_eq!(value["fields"]["status"], 200);
        assert_eq!(value["fields"]["lints"], "[\"x\"]");
        assert_eq!(value["fields"]["provider"], "smsoffice");
    }

    #[test]
    fn timestamps_are_rfc3339_with_microseconds() {
        let (mut out, mut second, mut prefix) = (String::new(), u64::MAX, String::new());
        write_timestamp(&mut out, since_epoch(), &mut second, &mut prefix);
        let parsed =
            time::OffsetDateTime::parse(&out, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok(), "{out}");
        assert_eq!(out.len(), "2026-12-04T17:23:16.798615Z".len());
    }

    fn masked(target: &str) -> String {
        let mut out = String::new();
        mask(target, |piece| out.push_str(piece));
        assert_eq!(Masked(target).to_string(), out, "both paths mask alike");
        out
    }

    #[test]
    fn log_targets_mask_every_credential_spelling() {
        assert_eq!(
            masked("/api?KEY=s1&destination=995&passwor%64=s2&+login=s3&password[]=s4&x=key"),
            "/api?KEY=***&destination=995&passwor%64=***&+login=***&password[]=***&x=key"
        );
        assert_eq!(masked("/smsgateway/"), "/smsgateway/");
    }

    #[test]
    fn an_admin_token_in_a_query_string_is_masked() {
        assert_eq!(
            masked("/__adminx/events?access_token=s3cret&Token=s3cret"),
            "/__adminx/events?access_token=***&Token=***"
        );
    }

    #[test]
    fn every_providers_credentials_are_masked_from_its_declaration() {
        for entry in crate::providers::ENTRIES {
            for (name, _) in entry.credentials {
                let target = format!("/x?{name}=secret&other=1");
                assert_eq!(
                    masked(&target),
                    format!("/x?{name}=***&other=1"),
                    "{}",
                    entry.provider
                );
            }
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 200, 65535, 1_000_000, u32::MAX] {
            let mut out = String::new();
            push_digits(&mut out, n, 1);
            assert_eq!(out, n.to_string());
        }
        let mut micros = String::new();
        push_digits(&mut micros, 4021, 6);
        assert_eq!(micros, "004021");
    }

    /// A sink whose writer stops once it has written what waits.
    fn stopped_sink(format: LogFormat, lines_per_second: u64) -> Sink {
        Sink {
            pending: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            limiter: Limiter::new(lines_per_second),
            format,
            traced: false,
            sleeping: AtomicBool::new(false),
            stopping: AtomicBool::new(true),
            writer: OnceLock::new(),
        }
    }

    #[test]
    fn the_limiter_admits_so_many_lines_a_second_and_counts_the_rest() {
        let limiter = Limiter::new(3);
        let verdicts = |second| (0..5).map(|_| limiter.admit(second)).collect::<Vec<_>>();
        use Admitted::*;
        assert_eq!(verdicts(100), [Yes, Yes, Yes, FirstSkipped, Skipped]);
        assert!(limiter.any_skipped());
        assert_eq!(
            verdicts(101),
            [Yes, Yes, Yes, Skipped, Skipped],
            "each second has its own count; the skipped wait for one summary"
        );
        assert_eq!(limiter.take_skipped(), 4);
        assert!(!limiter.any_skipped());
        assert_eq!(
            verdicts(101)[..2],
            [FirstSkipped, Skipped],
            "after a summary"
        );
        // Lines not written on other threads are counted in their shards, and summed.
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| assert_ne!(limiter.admit(101), Yes));
            }
        });
        assert_eq!(limiter.take_skipped(), 5 + 3);
        let unlimited = Limiter::new(0);
        assert!((0..10_000).all(|_| unlimited.admit(100) == Yes));
        assert!(!unlimited.any_skipped());
    }

    #[test]
    fn lines_not_written_are_summarised_in_the_logs_shape_before_the_writer_stops() {
        let sink = stopped_sink(LogFormat::Text, 1);
        assert_eq!(sink.limiter.admit(7), Admitted::Yes);
        for _ in 0..41 {
            assert_ne!(sink.limiter.admit(7), Admitted::Yes);
        }
        sink.push(b"a request line\n");
        let mut written = Vec::new();
        sink.drain(&mut written);
        let written = String::from_utf8(written).unwrap();
        let (line, summary) = written.split_once('\n').unwrap();
        assert_eq!(line, "a request line");
        assert!(
            summary.ends_with(
                "Z  INFO smsim::log: request lines over the limit a second not written (GET \
                 /__admin/requests has every request; --log-lines-per-second 0 writes them all) \
                 skipped=41 per_second=1\n"
            ),
            "{summary}"
        );
        let mut again = Vec::new();
        sink.drain(&mut again);
        assert!(again.is_empty(), "each line not written is summarised once");

        let json = summary_line(LogFormat::Json, 41, 1);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], SUMMARY_TARGET);
        assert_eq!(value["fields"]["skipped"], 41);
        assert_eq!(value["fields"]["per_second"], 1);
        assert!(json.ends_with("}\n"));
    }

    #[test]
    fn the_sink_drops_and_counts_past_its_bound_and_keeps_what_it_holds() {
        let sink = stopped_sink(LogFormat::Text, 0);
        let line = vec![b'x'; 1024];
        for _ in 0..(MAX_PENDING_BYTES / 1024 + 10) {
            sink.push(&line);
        }
        assert_eq!(sink.dropped.load(Ordering::Relaxed), 10);
        let mut written = Vec::new();
        sink.drain(&mut written);
        assert_eq!(written.len(), MAX_PENDING_BYTES);
    }
}
