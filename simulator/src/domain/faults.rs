//! Faults as data: `SCOPE=KIND[:ARG][@PROBABILITY][*COUNT]`, e.g. `smsoffice.send=error:-100@0.2`.
//! Parsing and matching live here; applying them is the HTTP layer's and the engine's job.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{Endpoint, Provider};

/// The longest fault spec: its text is kept in the journal of every request it touches.
pub const MAX_SPEC_CHARS: usize = 200;

/// What a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every provider request (not callbacks).
    All,
    /// Every request to one provider (not its callbacks).
    Provider(Provider),
    /// One endpoint.
    Endpoint(Endpoint),
    /// A provider's outgoing delivery callbacks (`smsoffice.callback`).
    Callback(Provider),
}

/// What a fault is picked for: a request to an endpoint, or an outgoing callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A request a client made.
    Request(Endpoint),
    /// A delivery callback the simulator sends for a provider.
    Callback(Provider),
}

/// What the fault syntax needs to know of the providers: their scopes, the names to suggest, and
/// their error codes. The providers' list answers it; the domain knows no provider's words.
pub trait Vocabulary {
    /// The scope `provider[.endpoint]` names, if any (`endpoint` may be `callback`).
    fn scope(&self, provider: &str, endpoint: Option<&str>) -> Option<Scope>;
    /// Every valid scope, for a refusal.
    fn scope_names(&self) -> String;
    /// The callback scopes, for a refusal.
    fn callback_scope_names(&self) -> String;
    /// `Ok` when `provider` has error `code`; otherwise a refusal listing the valid ones.
    fn check_code(&self, provider: Provider, code: i64) -> Result<(), String>;
}

impl Scope {
    /// True when `target` is in scope.
    pub fn matches(self, target: Target) -> bool {
        match (self, target) {
            (Scope::Callback(s), Target::Callback(t)) => s == t,
            (_, Target::Callback(_)) | (Scope::Callback(_), Target::Request(_)) => false,
            (Scope::All, Target::Request(_)) => true,
            (Scope::Provider(p), Target::Request(e)) => e.provider() == p,
            (Scope::Endpoint(x), Target::Request(e)) => x == e,
        }
    }

    fn is_callback(self) -> bool {
        matches!(self, Scope::Callback(_))
    }
}

/// What happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The provider's own error body with this code.
    Error(i64),
    /// A bare HTTP status (for callbacks: what the receiver seems to answer).
    Http(u16),
    /// Answer (or call back) this much later.
    Delay(Duration),
    /// Never answer.
    Hang,
    /// A TCP reset.
    Reset,
    /// Close the connection without a reply.
    Close,
    /// 200 headers, random bytes, close.
    Garbage,
    /// Half the real body, then close.
    Truncate,
    /// Callbacks: the attempt is lost.
    Drop,
    /// Callbacks: sent twice.
    Duplicate,
}

/// One parsed fault spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// As written, for listing and the journal.
    pub text: String,
    /// Where.
    pub scope: Scope,
    /// What.
    pub kind: FaultKind,
    /// Chance per matching request, in millionths (1,000,000 = always).
    pub probability_ppm: u32,
    /// How many matching requests it may still affect; `None` is unlimited.
    pub count: Option<u64>,
}

/// Why a spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault {spec:?}: {why}")]
pub struct SpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong, and what would be right.
    pub why: String,
}

/// Parses a duration: `1500ms`, `2s`, `1.5s`, `1m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((text, "ms"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let millis = match unit {
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        _ => return None,
    };
    Some(Duration::from_micros((millis * 1000.0).round() as u64))
}

impl FaultSpec {
    /// Parses a spec in the providers' `vocabulary` (scopes and error codes).
    pub fn parse(text: &str, vocabulary: &impl Vocabulary) -> Result<FaultSpec, SpecError> {
        let fail = |why: String| SpecError {
            spec: text.chars().take(MAX_SPEC_CHARS).collect(),
            why,
        };
        if text.chars().nth(MAX_SPEC_CHARS).is_some() {
            return Err(fail(format!(
                "longer than {MAX_SPEC_CHARS} characters; a spec is SCOPE=KIND[:ARG][@PROBABILITY][*COUNT]"
            )));
        }
        let (scope_text, rest) = text
            .split_once('=')
            .ok_or_else(|| fail("expected SCOPE=KIND[:ARG][@PROBABILITY][*COUNT]".into()))?;
        let scope_text = scope_text.trim();
        let scope = parse_scope(scope_text, vocabulary).ok_or_else(|| {
            fail(format!(
                "unknown scope {scope_text:?}; valid scopes: {}",
                vocabulary.scope_names()
            ))
        })?;
        let (rest, count) = split_count(rest).map_err(fail)?;
        let (rest, probability_ppm) = split_probability(rest).map_err(fail)?;
        let kind = parse_kind(rest, scope, vocabulary).map_err(fail)?;
        check_kind_fits_scope(&kind, scope, scope_text, vocabulary).map_err(fail)?;
        Ok(FaultSpec {
            text: text.trim().to_owned(),
            scope,
            kind,
            probability_ppm,
            count,
        })
    }
}

/// `rest` without its `*COUNT`, and the count (`None`: unlimited).
fn split_count(rest: &str) -> Result<(&str, Option<u64>), String> {
    let Some((head, n)) = rest.rsplit_once('*') else {
        return Ok((rest, None));
    };
    let n: u64 = n
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("count *{n} must be a whole number above 0"))?;
    Ok((head, Some(n)))
}

/// `rest` without its `@PROBABILITY`, and the probability in millionths (always, without one).
fn split_probability(rest: &str) -> Result<(&str, u32), String> {
    let Some((head, p)) = rest.rsplit_once('@') else {
        return Ok((rest, 1_000_000));
    };
    let p: f64 = p
        .trim()
        .parse()
        .ok()
        .filter(|p: &f64| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("probability @{p} must be a number from 0 to 1"))?;
    Ok((head, (p * 1_000_000.0).round() as u32))
}

/// The kinds that take no argument.
const BARE_KINDS: [(&str, FaultKind); 7] = [
    ("hang", FaultKind::Hang),
    ("reset", FaultKind::Reset),
    ("close", FaultKind::Close),
    ("garbage", FaultKind::Garbage),
    ("truncate", FaultKind::Truncate),
    ("drop", FaultKind::Drop),
    ("duplicate", FaultKind::Duplicate),
];

/// `KIND[:ARG]`, an error code checked against the scope's provider.
fn parse_kind(text: &str, scope: Scope, vocabulary: &impl Vocabulary) -> Result<FaultKind, String> {
    let (kind, arg) = match text.split_once(':') {
        Some((k, a)) => (k.trim(), Some(a.trim())),
        None => (text.trim(), None),
    };
    let bare = BARE_KINDS.iter().find(|(name, _)| *name == kind);
    match (kind, arg, bare) {
        ("error", Some(code), _) => {
            let code: i64 = code
                .parse()
                .map_err(|_| format!("error code {code:?} is not a number"))?;
            let provider = match scope {
                Scope::Provider(p) | Scope::Callback(p) => p,
                Scope::Endpoint(e) => e.provider(),
                Scope::All => {
                    return Err(
                        "error:CODE needs a provider scope: each provider has its own codes".into(),
                    );
                }
            };
            vocabulary.check_code(provider, code)?;
            Ok(FaultKind::Error(code))
        }
        ("http", Some(status), _) => status
            .parse()
            .ok()
            // 1xx are not final answers: a server cannot end an exchange with one.
            .filter(|s| (200..=599).contains(s))
            .map(FaultKind::Http)
            .ok_or_else(|| format!("HTTP status {status:?} must be 200 to 599")),
        ("delay", Some(d), _) => parse_duration(d)
            .map(FaultKind::Delay)
            .ok_or_else(|| format!("duration {d:?}: use e.g. 1500ms, 2s, 1m")),
        ("error" | "http" | "delay", None, _) => Err(format!(
            "{kind} needs an argument, e.g. {kind}:{}",
            example_arg(kind)
        )),
        (_, None, Some((_, bare))) => Ok(bare.clone()),
        (_, Some(_), Some(_)) => Err(format!("{kind} takes no argument")),
        (other, _, None) => Err(format!(
            "unknown kind {other:?}; valid kinds: error:CODE, http:STATUS, delay:DURATION, hang, reset, close, garbage, truncate, and for callbacks drop, duplicate, delay:DURATION, http:STATUS"
        )),
    }
}

/// Callback scopes take the callback kinds only, and `drop`/`duplicate` need a callback scope.
fn check_kind_fits_scope(
    kind: &FaultKind,
    scope: Scope,
    scope_text: &str,
    vocabulary: &impl Vocabulary,
) -> Result<(), String> {
    let callback_kind = matches!(
        kind,
        FaultKind::Drop | FaultKind::Duplicate | FaultKind::Delay(_) | FaultKind::Http(_)
    );
    if scope.is_callback() && !callback_kind {
        return Err(format!(
            "{scope_text} takes drop, duplicate, delay:DURATION or http:STATUS"
        ));
    }
    if !scope.is_callback() && matches!(kind, FaultKind::Drop | FaultKind::Duplicate) {
        return Err(format!(
            "drop and duplicate apply to {} only",
            vocabulary.callback_scope_names()
        ));
    }
    Ok(())
}

fn example_arg(kind: &str) -> &'static str {
    match kind {
        "error" => "-100",
        "http" => "503",
        _ => "1500ms",
    }
}

fn parse_scope(text: &str, vocabulary: &impl Vocabulary) -> Option<Scope> {
    if text == "*" {
        return Some(Scope::All);
    }
    match text.split_once('.') {
        Some((provider, endpoint)) => vocabulary.scope(provider, Some(endpoint)),
        None => vocabulary.scope(text, None),
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An active fault: its spec, what is left of its count, and how often it fired.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    /// Increasing id.
    pub id: u64,
    /// The spec as written.
    pub spec: String,
    /// Requests it may still affect; `null` is unlimited.
    pub remaining: Option<u64>,
    /// How many times it fired.
    pub injected: u64,
    #[serde(skip)]
    parsed: FaultSpec,
}

/// The active faults, in the order they were added. Lives under the world lock, so counts are
/// exact under any concurrency and draws come from the seeded generator in request order.
#[derive(Debug, Default)]
pub struct FaultSet {
    faults: Vec<ActiveFault>,
    next_id: u64,
}

impl FaultSet {
    /// Adds a parsed spec.
    pub fn add(&mut self, spec: FaultSpec) -> &ActiveFault {
        self.next_id += 1;
        self.faults.push(ActiveFault {
            id: self.next_id,
            spec: spec.text.clone(),
            remaining: spec.count,
            injected: 0,
            parsed: spec,
        });
        self.faults.last().expect("just pushed")
    }

    /// Every active fault, spent ones included (their `remaining` is 0).
    pub fn list(&self) -> &[ActiveFault] {
        &self.faults
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// The fault to inject into `target`, if any: the first in
    /// scope, with count left, whose probability draw succeeds. Its count goes down by one.
    pub fn pick(&mut self, target: Target, rng: &mut ChaCha8Rng) -> Option<FaultSpec> {
        for fault in &mut self.faults {
            if fault.remaining == Some(0) || !fault.parsed.scope.matches(target) {
                continue;
            }
            let ppm = fault.parsed.probability_ppm;
            if ppm < 1_000_000 && rng.random_range(0..1_000_000) >= ppm {
                continue;
            }
            if let Some(n) = &mut fault.remaining {
                *n -= 1;
            }
            fault.injected += 1;
            return Some(fault.parsed.clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // The providers' own vocabulary: the words these tests use are the documented ones.
    use crate::providers::Faults;

    fn parse(text: &str) -> Result<FaultSpec, SpecError> {
        FaultSpec::parse(text, &Faults)
    }

    fn endpoint(provider: Provider, name: &'static str) -> Target {
        Target::Request(Endpoint::new(provider, name))
    }

    #[test]
    fn parses_the_documented_examples() {
        let s = parse("smsoffice.send=error:-100@0.2").unwrap();
        assert_eq!(
            (s.scope, s.kind, s.probability_ppm, s.count),
            (
                Scope::Endpoint(Endpoint::new(Provider::Smsoffice, "send")),
                FaultKind::Error(-100),
                200_000,
                None
            )
        );
        let s = parse("smsco.send=error:2907*3").unwrap();
        assert_eq!((s.kind, s.count), (FaultKind::Error(2907), Some(3)));
        assert_eq!(
            parse("getsms=delay:1500ms").unwrap().kind,
            FaultKind::Delay(Duration::from_millis(1500))
        );
        let s = parse("*=reset@0.01").unwrap();
        assert_eq!(
            (s.scope, s.kind, s.probability_ppm),
            (Scope::All, FaultKind::Reset, 10_000)
        );
        assert_eq!(
            parse("smsoffice.callback=duplicate").unwrap().kind,
            FaultKind::Duplicate
        );
        assert_eq!(
            parse("smsoffice.callback=http:500*2").unwrap().kind,
            FaultKind::Http(500)
        );
        assert_eq!(
            parse("getsms.status=delay:2s@0.5*4").unwrap().count,
            Some(4)
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let cases = [
            ("nowhere=hang", "unknown scope"),
            (
                "smsoffice.sned=hang",
                "valid scopes: *, smsoffice, smsoffice.send",
            ),
            ("smsoffice=explode", "unknown kind"),
            ("smsoffice=hang@1.5", "from 0 to 1"),
            ("smsco=error:80", "not an smsco code"),
            ("*=error:-100", "needs a provider scope"),
            ("smsoffice=http:99", "200 to 599"),
            ("smsoffice=http:100", "200 to 599"),
            ("smsoffice=http:101", "200 to 599"),
            ("smsoffice=delay:soon", "duration"),
            ("smsoffice=hang*0", "above 0"),
            ("smsoffice=error", "needs an argument"),
            ("smsoffice.callback=reset", "takes drop, duplicate"),
            ("smsoffice.send=drop", "smsoffice.callback only"),
            ("smsoffice", "expected SCOPE=KIND"),
        ];
        for (spec, why) in cases {
            let err = parse(spec).unwrap_err().to_string();
            assert!(err.contains(why), "{spec}: {err}");
        }
    }

    #[test]
    fn counts_run_out_and_scopes_filter() {
        let mut set = FaultSet::default();
        set.add(parse("smsoffice.send=hang*2").unwrap());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(
            set.pick(endpoint(Provider::Smsoffice, "balance"), &mut rng)
                .is_none()
        );
        assert!(
            set.pick(endpoint(Provider::Smsco, "send"), &mut rng)
                .is_none()
        );
        assert!(
            set.pick(endpoint(Provider::Smsoffice, "send"), &mut rng)
                .is_some()
        );
        assert!(
            set.pick(endpoint(Provider::Smsoffice, "send"), &mut rng)
                .is_some()
        );
        assert!(
            set.pick(endpoint(Provider::Smsoffice, "send"), &mut rng)
                .is_none()
        );
        assert_eq!(
            (set.list()[0].remaining, set.list()[0].injected),
            (Some(0), 2)
        );
        set.add(parse("*=close").unwrap());
        assert!(
            set.pick(Target::Callback(Provider::Smsoffice), &mut rng)
                .is_none(),
            "* never covers callbacks"
        );
        assert!(
            set.pick(endpoint(Provider::Getsms, "status"), &mut rng)
                .is_some()
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("250"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1h"), None);
    }
}
