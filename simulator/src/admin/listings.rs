//! The paged listings: messages, the request journal, callback attempts. Each page is copied out
//! under its lock and written after the lock is released, so a large store never holds up sends.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, error, provider, read_query};
use crate::domain::clock::Timestamp;
use crate::domain::messages::{Message, MessageFilter, Status};
use crate::providers::smsoffice;
use crate::sim::{NoMessage, Sim};

/// Entries a page holds when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The most entries one page holds.
pub const MAX_LIMIT: usize = 1000;

/// Where a page starts and how long it is: past the id `after` (exclusive; in the listing's
/// order), at most `limit` entries, oldest first or with `order=newest` newest first.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    after: u64,
    limit: usize,
    newest: bool,
}

/// The listing's order: `oldest` first (the default) or `newest` first.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Order {
    #[default]
    Oldest,
    Newest,
}

impl Cursor {
    fn new(
        after: Option<u64>,
        limit: Option<usize>,
        order: Option<Order>,
    ) -> Result<Cursor, AdminError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("`limit` must be 1 to {MAX_LIMIT}, got {limit}"),
            ));
        }
        let newest = matches!(order, Some(Order::Newest));
        Ok(Cursor {
            after: after.unwrap_or(if newest { u64::MAX } else { 0 }),
            limit,
            newest,
        })
    }
}

/// One page: the entries, how many match in all, and the `after` to ask for the next page.
struct Page<T> {
    entries: Vec<T>,
    total: usize,
    next: Option<u64>,
}

/// The page of `entries` (oldest first, ids increasing) that `keep` accepts, from `cursor`.
fn page<'a, T: Clone + 'a>(
    entries: impl DoubleEndedIterator<Item = &'a T>,
    id: impl Fn(&T) -> u64,
    keep: impl Fn(&T) -> bool,
    cursor: Cursor,
) -> Page<T> {
    let mut page = Page {
        entries: Vec::new(),
        total: 0,
        next: None,
    };
    let mut more = false;
    let entries: Box<dyn Iterator<Item = &T>> = if cursor.newest {
        Box::new(entries.rev())
    } else {
        Box::new(entries)
    };
    for entry in entries.filter(|e| keep(e)) {
        page.total += 1;
        let passed = if cursor.newest {
            id(entry) >= cursor.after
        } else {
            id(entry) <= cursor.after
        };
        if passed {
            continue;
        }
        if page.entries.len() < cursor.limit {
            page.entries.push(entry.clone());
        } else {
            more = true;
        }
    }
    if more {
        page.next = page.entries.last().map(&id);
    }
    page
}

#[derive(Debug, Deserialize)]
pub(super) struct MessageQuery {
    provider: Option<String>,
    destination: Option<String>,
    reference: Option<String>,
    status: Option<String>,
    account: Option<String>,
    q: Option<String>,
    since: Option<String>,
    until: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
    order: Option<Order>,
    /// Only for `latest`: how long to wait for a match.
    wait: Option<String>,
}

/// One end of a `since`/`until` range: a message id, or an instant (RFC 3339).
#[derive(Debug, Clone, Copy)]
enum Bound {
    Id(u64),
    Time(Timestamp),
}

impl Bound {
    fn parse(name: &str, text: &str) -> Result<Bound, AdminError> {
        if let Ok(id) = text.trim().parse::<u64>() {
            return Ok(Bound::Id(id));
        }
        Timestamp::parse_rfc3339(text.trim())
            .map(Bound::Time)
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "`{name}` must be a message id or an RFC 3339 time (2026-01-01T00:00:00Z), got {text:?}"
                    ),
                )
            })
    }

    /// `m` comes after this bound (strictly).
    fn before(self, m: &Message) -> bool {
        match self {
            Bound::Id(id) => m.id > id,
            Bound::Time(at) => m.created_at > at,
        }
    }
}

/// What the listing's search adds to its filter: a text in the message, and an id or time
/// range.
#[derive(Debug, Clone, Default)]
pub(super) struct Search {
    /// Lowercase; found in the text, the sender or the destination.
    text: Option<String>,
    since: Option<Bound>,
    until: Option<Bound>,
}

impl Search {
    pub(super) fn accepts(&self, m: &Message) -> bool {
        self.since.is_none_or(|b| b.before(m))
            && self.until.is_none_or(|b| !b.before(m))
            && self.text.as_deref().is_none_or(|q| {
                [&*m.content, &*m.sender, m.destination.as_str()]
                    .iter()
                    .any(|field| field.to_lowercase().contains(q))
            })
    }
}

/// The longest `q`.
const MAX_QUERY_CHARS: usize = 200;

impl MessageQuery {
    /// The filter, the search and the page this query asks for.
    fn read(self) -> Result<(MessageFilter, Search, Cursor, Option<String>), AdminError> {
        let search = Search {
            text: match self.q.as_deref() {
                Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        format!("`q` is longer than {MAX_QUERY_CHARS} characters"),
                    ));
                }
                Some(q) => Some(q.to_lowercase()),
                None => None,
            },
            since: self
                .since
                .as_deref()
                .map(|t| Bound::parse("since", t))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|t| Bound::parse("until", t))
                .transpose()?,
        };
        let wait = self.wait.clone();
        let (filter, cursor) = self.filter()?;
        Ok((filter, search, cursor, wait))
    }

    fn filter(self) -> Result<(MessageFilter, Cursor), AdminError> {
        let provider = self
            .provider
            .map(|p| provider(&p, StatusCode::BAD_REQUEST))
            .transpose()?;
        let status = self
            .status
            .map(|s| {
                Status::parse(&s).ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        format!("unknown status {s:?}: accepted, scheduled, pending, delivered, undelivered, expired or rejected"),
                    )
                })
            })
            .transpose()?;
        let filter = MessageFilter {
            provider,
            destination: self.destination,
            id: self.reference.map(|r| (smsoffice::REFERENCE, r)),
            status,
            account: self.account,
        };
        Ok((filter, Cursor::new(self.after, self.limit, self.order)?))
    }
}

/// `GET /__admin/messages`: accepted messages, oldest first, paged.
pub(super) async fn messages(
    State(sim): State<Sim>,
    query: Result<Query<MessageQuery>, QueryRejection>,
) -> AdminResult {
    let (filter, search, cursor, _) = read_query(query)?.read()?;
    let (page, evicted) = {
        let state = sim.state();
        let store = &state.world.messages;
        let page = page(
            store.filtered(&MessageFilter::default()),
            |m| m.id,
            |m| filter.accepts(m) && search.accepts(m),
            cursor,
        );
        (page, store.evicted())
    };
    let messages: Vec<Value> = page.entries.iter().map(|m| message_json(&sim, m)).collect();
    Ok(axum::Json(json!({
        "count": page.total,
        "evicted": evicted,
        "next": page.next,
        "messages": messages,
    })))
}

/// The longest `wait` `limits.max_wait_seconds` may allow: ten minutes.
pub const MAX_WAIT_SECONDS: u64 = 600;

/// Whether `text` is a decimal number (`5`, `1.5`) with one of `wait`'s units or none: the
/// pattern the OpenAPI document gives `wait` (no sign, exponent or `inf`).
fn wait_shaped(text: &str) -> bool {
    let number = ["ms", "s", "m"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit))
        .unwrap_or(text);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, "0"));
    [whole, fraction]
        .iter()
        .all(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Reads `wait`: `10s`, `1500ms`, `1m`, or a number of seconds; at most `max_seconds`.
fn parse_wait(text: &str, max_seconds: u64) -> Result<std::time::Duration, AdminError> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        _ if !wait_shaped(text) => None,
        Ok(seconds) => Some(std::time::Duration::from_secs_f64(
            seconds.min(max_seconds as f64 + 1.0),
        )),
        Err(_) => crate::domain::faults::parse_duration(text),
    };
    let wait = parsed.ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            format!("`wait` must be a duration such as 10s, 1500ms or 1m, got {text:?}"),
        )
    })?;
    if wait > std::time::Duration::from_secs(max_seconds) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("`wait` must be at most {max_seconds} s (limits.max_wait_seconds)"),
        ));
    }
    Ok(wait)
}

/// `GET /__admin/messages/latest`: the newest message matching the listing's filters, as one
/// message object; with `wait`, held until one is accepted (at most `limits.max_wait_seconds`), else 404. Waiting
/// costs a send next to nothing: an accepted message wakes only the requests waiting for its
/// destination (and those waiting for any), which look only at the messages that came since
/// they last looked.
pub(super) async fn latest(
    State(sim): State<Sim>,
    query: Result<Query<MessageQuery>, QueryRejection>,
) -> Result<axum::Json<Value>, AdminError> {
    let (filter, search, _, wait) = read_query(query)?.read()?;
    let max_seconds = sim.config().limits.max_wait_seconds;
    let wait = wait
        .as_deref()
        .map(|text| parse_wait(text, max_seconds))
        .transpose()?;
    let found = sim
        .newest_message(filter.destination.as_deref(), wait, |m| {
            filter.accepts(m) && search.accepts(m)
        })
        .await;
    let hint = plus_hint(filter.destination.as_deref());
    match found {
        Ok(message) => Ok(axum::Json(message_json(&sim, &message))),
        Err(NoMessage::NoneMatches) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no message matches{hint}"),
        )),
        Err(NoMessage::TimedOut) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no message matched within the wait{hint}"),
        )),
        Err(NoMessage::ShuttingDown) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the simulator is shutting down",
        )),
    }
}

/// What a miss adds when `destination` begins with a space or `+`: an unencoded `+` in a query
/// string reads as a space, and no accepted destination begins with either.
fn plus_hint(destination: Option<&str>) -> String {
    let Some(destination) = destination else {
        return String::new();
    };
    let digits = destination.trim_start_matches([' ', '+']);
    if digits.len() == destination.len() {
        return String::new();
    }
    format!(
        "; `destination` was read as {destination:?}: a '+' in a query string reads as a space \
         (write %2B), and destinations are kept without '+': try destination={digits}"
    )
}

/// A message as the admin API shows it: its fields and the one-time `code` its text holds.
pub(crate) fn message_json(sim: &Sim, message: &Message) -> Value {
    let mut json = json!(message);
    if let Value::Object(fields) = &mut json {
        fields.insert("code".into(), json!(sim.code_in(&message.content)));
    }
    json
}

#[derive(Debug, Deserialize)]
pub(super) struct RequestQuery {
    provider: Option<String>,
    account: Option<String>,
    message_id: Option<u64>,
    after: Option<u64>,
    limit: Option<usize>,
    order: Option<Order>,
}

/// `GET /__admin/requests`: the request journal, oldest first, paged.
pub(super) async fn requests(
    State(sim): State<Sim>,
    query: Result<Query<RequestQuery>, QueryRejection>,
) -> AdminResult {
    let query = read_query(query)?;
    let wanted = query
        .provider
        .map(|p| provider(&p, StatusCode::BAD_REQUEST))
        .transpose()?;
    let cursor = Cursor::new(query.after, query.limit, query.order)?;
    let (page, evicted) = {
        let journal = sim.journal();
        let page = page(
            journal.iter(),
            |e| e.id,
            |e| {
                wanted.is_none_or(|p| e.provider == Some(p))
                    && query
                        .account
                        .as_deref()
                        .is_none_or(|a| e.account.as_deref() == Some(a))
                    && query.message_id.is_none_or(|id| {
                        e.messages
                            .is_some_and(|(first, last)| (first..=last).contains(&id))
                    })
            },
            cursor,
        );
        (page, journal.evicted())
    };
    Ok(axum::Json(json!({
        "count": page.total,
        "evicted": evicted,
        "next": page.next,
        "requests": page.entries,
    })))
}

#[derive(Debug, Deserialize)]
pub(super) struct CallbackQuery {
    message_id: Option<u64>,
    account: Option<String>,
    after: Option<u64>,
    limit: Option<usize>,
    order: Option<Order>,
}

/// `GET /__admin/callbacks`: callback attempts, oldest first, paged; `pending` counts the events
/// still scheduled.
pub(super) async fn callbacks(
    State(sim): State<Sim>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> AdminResult {
    let query = read_query(query)?;
    let cursor = Cursor::new(query.after, query.limit, query.order)?;
    let (page, evicted, pending) = {
        let state = sim.state();
        let world = &state.world;
        let page = page(
            world.callbacks.iter(),
            |a| a.id,
            |a| {
                query.message_id.is_none_or(|id| a.message_id == id)
                    && query
                        .account
                        .as_deref()
                        .is_none_or(|wanted| a.account.as_deref() == Some(wanted))
            },
            cursor,
        );
        (page, world.callbacks.evicted(), world.schedule.len())
    };
    Ok(axum::Json(json!({
        "count": page.total,
        "evicted": evicted,
        "pending": pending,
        "next": page.next,
        "callbacks": page.entries,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_cursor_and_count_every_match() {
        let entries: Vec<u64> = (1..=10).collect();
        let odd = |n: &u64| n % 2 == 1;
        let at = |after, order| Cursor::new(after, Some(2), order).unwrap();
        let first = page(entries.iter(), |n| *n, odd, at(None, None));
        assert_eq!(
            (first.entries, first.total, first.next),
            (vec![1, 3], 5, Some(3))
        );
        let last = page(entries.iter(), |n| *n, odd, at(Some(7), None));
        assert_eq!((last.entries, last.total, last.next), (vec![9], 5, None));
        let newest = page(entries.iter(), |n| *n, odd, at(None, Some(Order::Newest)));
        assert_eq!((newest.entries, newest.next), (vec![9, 7], Some(7)));
        let older = page(
            entries.iter(),
            |n| *n,
            odd,
            at(Some(7), Some(Order::Newest)),
        );
        assert_eq!((older.entries, older.next), (vec![5, 3], Some(3)));
        assert!(Cursor::new(None, Some(0), None).is_err());
        assert!(Cursor::new(None, Some(MAX_LIMIT + 1), None).is_err());
    }
}
