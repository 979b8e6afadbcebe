//! The paged listings: messages, the request journal, callback attempts. Each page is copied out
//! under its lock and written after the lock is released, so a large store never holds up sends.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, AdminResult, error, provider, read_query};
use crate::domain::messages::{MessageFilter, Status};
use crate::providers::smsoffice;
use crate::sim::Sim;

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
    after: Option<u64>,
    limit: Option<usize>,
    order: Option<Order>,
}

impl MessageQuery {
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
    let (filter, cursor) = read_query(query)?.filter()?;
    let (page, evicted) = {
        let state = sim.state();
        let store = &state.world.messages;
        let page = page(
            store.filtered(&MessageFilter::default()),
            |m| m.id,
            |m| filter.accepts(m),
            cursor,
        );
        (page, store.evicted())
    };
    Ok(axum::Json(json!({
        "count": page.total,
        "evicted": evicted,
        "next": page.next,
        "messages": page.entries,
    })))
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
