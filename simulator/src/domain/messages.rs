//! Accepted messages, their neutral status state machine, and the bounded store that holds them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smallvec::{SmallVec, smallvec};

use super::Provider;
use super::clock::Timestamp;
use super::segments::{Encoding, SegmentCount};

/// Where a message is, in words common to all three providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Taken by the gateway, not yet handed on.
    Accepted,
    /// Waiting for its scheduled time.
    Scheduled,
    /// Handed to the operator, no final report yet.
    Pending,
    /// Reached the handset.
    Delivered,
    /// The operator could not deliver it.
    Undelivered,
    /// Its validity ran out.
    Expired,
    /// The operator refused it.
    Rejected,
}

impl Status {
    /// Final states never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Delivered | Status::Undelivered | Status::Expired | Status::Rejected
        )
    }

    /// Parses the lowercase name used by the admin API.
    pub fn parse(name: &str) -> Option<Status> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// One step of a message's history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    /// The state entered.
    pub status: Status,
    /// When, on the simulator's clock.
    pub at: Timestamp,
}

/// One message to one destination, as the simulated gateway accepted it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// The simulator's own id, increasing.
    pub id: u64,
    /// Which gateway accepted it.
    pub provider: Provider,
    /// The account (smsoffice key, smsco username, getsms login).
    pub account: Arc<str>,
    /// Sender title, brand or nickname.
    pub sender: Arc<str>,
    /// Destination number as sent.
    pub destination: String,
    /// Text as the client sent it.
    pub content: Arc<str>,
    /// Text as it would reach the handset, when the gateway changes it.
    pub delivered_content: Option<String>,
    /// Segments charged for this destination.
    pub segments: u32,
    /// Encoding the segments were counted in.
    pub encoding: Encoding,
    /// Flash message (smsoffice `contentType=2`).
    pub flash: bool,
    /// smsoffice `urgent=true`.
    pub urgent: bool,
    /// Current neutral status.
    pub status: Status,
    /// Reason of a failure, when final and not delivered.
    pub reason: Option<String>,
    /// Every state entered, oldest first.
    pub history: SmallVec<[StatusChange; 3]>,
    /// The ids its provider gave it (or the client's own reference), each under the provider's
    /// name for it; written into the message's JSON as `"name": value`.
    #[serde(flatten, serialize_with = "ids_as_fields")]
    pub ids: SmallVec<[ProviderId; 2]>,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// When it is due to be sent, if scheduled.
    pub scheduled_at: Option<Timestamp>,
    /// The client address the request came from.
    pub client_ip: Option<std::net::IpAddr>,
}

/// Where the messages one request has accepted come from, which they all share: who sends,
/// from which account, when, from where, and the provider's ids that every one of them carries.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// Which gateway accepts them.
    pub provider: Provider,
    /// The account.
    pub account: &'a Arc<str>,
    /// Sender title, brand or nickname.
    pub sender: &'a Arc<str>,
    /// When they were accepted.
    pub now: Timestamp,
    /// When they are to be handed over, if later.
    pub scheduled_at: Option<Timestamp>,
    /// The client address the request came from.
    pub client_ip: Option<std::net::IpAddr>,
    /// Ids every message of the request carries (`reference`, `mes_id`, `request_id`).
    pub ids: &'a [ProviderId],
}

impl Message {
    /// A message of `origin` to `destination` just accepted (`scheduled` when it has a later
    /// hand-over time), charged `count`; flags and ids of its own are set by the caller.
    pub fn accepted(
        id: u64,
        origin: &Origin<'_>,
        destination: String,
        content: &Arc<str>,
        count: SegmentCount,
    ) -> Message {
        let status = if origin.scheduled_at.is_some() {
            Status::Scheduled
        } else {
            Status::Accepted
        };
        let mut ids = SmallVec::new();
        if !origin.ids.is_empty() {
            ids.extend(origin.ids.iter().cloned());
        }
        Message {
            id,
            provider: origin.provider,
            account: Arc::clone(origin.account),
            sender: Arc::clone(origin.sender),
            destination,
            content: Arc::clone(content),
            delivered_content: None,
            segments: count.segments,
            encoding: count.encoding,
            flash: false,
            urgent: false,
            status,
            reason: None,
            // Room for the usual life (accepted, pending, final) without a heap allocation.
            history: smallvec![StatusChange {
                status,
                at: origin.now
            }],
            ids,
            created_at: origin.now,
            scheduled_at: origin.scheduled_at,
            client_ip: origin.client_ip,
        }
    }
}

/// The value of a provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum IdValue {
    /// A number the provider hands out.
    Number(u64),
    /// Text the client chose.
    Text(String),
}

/// One id of a message under its provider's name for it (`reference`, `mes_id`, ...). An indexed
/// id is what the provider's status call finds messages by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderId {
    /// The provider's name for it; each name is used by one provider only.
    pub name: &'static str,
    /// Its value.
    pub value: IdValue,
    /// Whether status look-ups find messages by it.
    pub indexed: bool,
}

fn ids_as_fields<S: serde::Serializer>(
    ids: &SmallVec<[ProviderId; 2]>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(ids.len()))?;
    for id in ids {
        map.serialize_entry(id.name, &id.value)?;
    }
    map.end()
}

impl Message {
    /// The message as it was when it had entered `changes` states: its history cut there, its
    /// status the last of those, no failure reason (only a final state has one, and nothing
    /// follows a final state). Borrowed when nothing has changed since.
    pub fn as_of(&self, changes: usize) -> std::borrow::Cow<'_, Message> {
        match self.history.get(..changes) {
            Some(history) if changes > 0 && changes < self.history.len() => {
                let mut then = self.clone();
                then.history = history.iter().cloned().collect();
                then.status = history[changes - 1].status;
                then.reason = None;
                std::borrow::Cow::Owned(then)
            }
            _ => std::borrow::Cow::Borrowed(self),
        }
    }

    /// The value of the id called `name`, if the message has one.
    pub fn id_value(&self, name: &str) -> Option<&IdValue> {
        self.ids
            .iter()
            .find(|id| id.name == name)
            .map(|id| &id.value)
    }

    /// The number of the id called `name`, if the message has one.
    pub fn id_number(&self, name: &str) -> Option<u64> {
        match self.id_value(name)? {
            IdValue::Number(n) => Some(*n),
            IdValue::Text(_) => None,
        }
    }

    /// The text of the id called `name`, if the message has one.
    pub fn id_text(&self, name: &str) -> Option<&str> {
        match self.id_value(name)? {
            IdValue::Text(text) => Some(text),
            IdValue::Number(_) => None,
        }
    }
}

/// What a provider's status call looks messages up by: an indexed id's name and value. Each
/// name is used by one provider only, so the key needs no provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupKey {
    /// The id's name.
    pub name: &'static str,
    /// Its value.
    pub value: IdValue,
}

impl LookupKey {
    /// The keys `message` can be found by.
    fn of(message: &Message) -> impl Iterator<Item = LookupKey> + '_ {
        message
            .ids
            .iter()
            .filter(|id| id.indexed)
            .map(|id| LookupKey {
                name: id.name,
                value: id.value.clone(),
            })
    }
}

/// Messages in acceptance order, bounded: when full, the oldest is evicted and counted. Status
/// look-ups go through an index by [`LookupKey`], so they cost the same with 10 messages or 100,000.
#[derive(Debug)]
pub struct MessageStore {
    messages: VecDeque<Message>,
    capacity: usize,
    next_id: u64,
    evicted: u64,
    /// Ids of the messages held under each key, oldest first. A fast hasher: every message
    /// inserted and evicted updates it under the world lock.
    index: HashMap<LookupKey, VecDeque<u64>, foldhash::fast::RandomState>,
}

/// Filters of `GET /__admin/messages`; every given field must match.
#[derive(Debug, Default, Clone)]
pub struct MessageFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only this destination.
    pub destination: Option<String>,
    /// Only messages with this id (name and value as text).
    pub id: Option<(&'static str, String)>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this account (smsoffice key, smsco username, getsms login).
    pub account: Option<String>,
}

impl MessageFilter {
    /// True when `m` matches every given field.
    pub fn accepts(&self, m: &Message) -> bool {
        self.provider.is_none_or(|p| p == m.provider)
            && self
                .destination
                .as_ref()
                .is_none_or(|d| *d == m.destination)
            && self.id.as_ref().is_none_or(|(name, value)| {
                m.id_value(name).is_some_and(|v| match v {
                    IdValue::Text(text) => text == value,
                    IdValue::Number(n) => n.to_string() == *value,
                })
            })
            && self.status.is_none_or(|s| s == m.status)
            && self.account.as_deref().is_none_or(|a| a == &*m.account)
    }
}

impl MessageStore {
    /// An empty store keeping at most `capacity` messages (at least one).
    pub fn new(capacity: usize) -> MessageStore {
        MessageStore {
            messages: VecDeque::new(),
            capacity: capacity.max(1),
            next_id: 1,
            evicted: 0,
            index: HashMap::default(),
        }
    }

    /// The id the next inserted message will get.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Stores a message, evicting the oldest when full.
    pub fn insert(&mut self, message: Message) {
        if self.messages.len() >= self.capacity
            && let Some(oldest) = self.messages.pop_front()
        {
            self.evicted += 1;
            for key in LookupKey::of(&oldest) {
                if let Some(ids) = self.index.get_mut(&key) {
                    // The oldest message is the first of every list it is in.
                    if ids.front() == Some(&oldest.id) {
                        ids.pop_front();
                    }
                    if ids.is_empty() {
                        self.index.remove(&key);
                    }
                }
            }
        }
        for key in LookupKey::of(&message) {
            self.index.entry(key).or_default().push_back(message.id);
        }
        self.messages.push_back(message);
    }

    /// The messages held under `key`, oldest first.
    pub fn by_key(&self, key: &LookupKey) -> impl DoubleEndedIterator<Item = &Message> {
        self.index
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.get(*id))
    }

    /// How many messages were evicted to stay within capacity.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Messages held now.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Messages matching `filter`, oldest first.
    pub fn filtered<'a>(
        &'a self,
        filter: &'a MessageFilter,
    ) -> impl DoubleEndedIterator<Item = &'a Message> + 'a {
        self.messages.iter().filter(move |m| filter.accepts(m))
    }

    /// The message with simulator id `id`, if still held.
    pub fn get(&self, id: u64) -> Option<&Message> {
        let first = self.messages.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.messages.get(index).filter(|m| m.id == id)
    }

    /// The message with simulator id `id`, if still held, to change.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut Message> {
        // Ids increase with position, so the offset from the front finds it directly.
        let first = self.messages.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.messages.get_mut(index).filter(|m| m.id == id)
    }

    /// Forgets every message (ids keep increasing).
    pub fn clear(&mut self) {
        self.messages.clear();
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &'static str, value: IdValue) -> ProviderId {
        ProviderId {
            name,
            value,
            indexed: true,
        }
    }

    fn key(name: &'static str, value: IdValue) -> LookupKey {
        LookupKey { name, value }
    }

    #[test]
    fn a_message_as_of_an_earlier_state_shows_that_state_alone() {
        let mut store = MessageStore::new(10);
        let mut message = message(&mut store, "995555123456");
        for (status, at) in [(Status::Pending, 1), (Status::Undelivered, 2)] {
            message.status = status;
            message.history.push(StatusChange {
                status,
                at: Timestamp(at),
            });
        }
        message.reason = Some("absent".into());
        let accepted = message.as_of(1);
        assert_eq!(accepted.status, Status::Accepted);
        assert_eq!(accepted.history.len(), 1);
        assert_eq!(accepted.reason, None);
        let pending = message.as_of(2);
        assert_eq!(
            (
                pending.status,
                pending.history[1].at,
                pending.reason.as_deref()
            ),
            (Status::Pending, Timestamp(1), None)
        );
        assert_eq!(pending.destination, "995555123456");
        let now = message.as_of(3);
        assert!(matches!(now, std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            (now.status, now.reason.as_deref()),
            (Status::Undelivered, Some("absent"))
        );
    }

    fn message(store: &mut MessageStore, destination: &str) -> Message {
        let origin = Origin {
            provider: Provider::Smsoffice,
            account: &Arc::from("k"),
            sender: &Arc::from("S"),
            now: Timestamp(0),
            scheduled_at: None,
            client_ip: None,
            ids: &[],
        };
        Message::accepted(
            store.next_id(),
            &origin,
            destination.to_owned(),
            &Arc::from("hi"),
            crate::domain::segments::count("hi"),
        )
    }

    #[test]
    fn store_evicts_oldest_and_counts() {
        let mut store = MessageStore::new(2);
        for d in ["1", "2", "3"] {
            let m = message(&mut store, d);
            store.insert(m);
        }
        assert_eq!(store.len(), 2);
        assert_eq!(store.evicted(), 1);
        let all = MessageFilter::default();
        let kept: Vec<_> = store
            .filtered(&all)
            .map(|m| m.destination.as_str())
            .collect();
        assert_eq!(kept, ["2", "3"]);
        assert!(store.get_mut(1).is_none());
        assert_eq!(store.get_mut(3).unwrap().destination, "3");
    }

    #[test]
    fn look_ups_by_key_follow_insertion_and_eviction() {
        let mut store = MessageStore::new(3);
        for (destination, reference, mes_id) in [
            ("1", Some("r"), None),
            ("2", None, Some(7)),
            ("3", Some("r"), Some(7)),
            ("4", Some("r"), None),
        ] {
            let mut m = message(&mut store, destination);
            if let Some(reference) = reference {
                m.ids.push(id("reference", IdValue::Text(reference.into())));
            }
            if let Some(mes_id) = mes_id {
                m.ids.push(id("mes_id", IdValue::Number(mes_id)));
            }
            store.insert(m);
        }
        let destinations = |store: &MessageStore, key: LookupKey| -> Vec<String> {
            store.by_key(&key).map(|m| m.destination.clone()).collect()
        };
        // "1" was evicted: gone from its key, the others in insertion order.
        assert_eq!(
            destinations(&store, key("reference", IdValue::Text("r".into()))),
            ["3", "4"]
        );
        assert_eq!(
            destinations(&store, key("mes_id", IdValue::Number(7))),
            ["2", "3"]
        );
        assert!(destinations(&store, key("request_id", IdValue::Number(7))).is_empty());
        let newest = store
            .by_key(&key("reference", IdValue::Text("r".into())))
            .next_back()
            .unwrap();
        assert_eq!(newest.destination, "4");
        // Evicting the last message under a key drops the key.
        for destination in ["5", "6", "7"] {
            let m = message(&mut store, destination);
            store.insert(m);
        }
        assert!(store.index.is_empty());
        store.clear();
        assert_eq!(store.by_key(&key("mes_id", IdValue::Number(7))).count(), 0);
    }

    #[test]
    fn filter_matches_every_given_field() {
        let mut store = MessageStore::new(10);
        let mut a = message(&mut store, "995555000001");
        a.ids.push(id("reference", IdValue::Text("r1".into())));
        store.insert(a);
        let b = message(&mut store, "995555000002");
        store.insert(b);
        let f = MessageFilter {
            id: Some(("reference", "r1".into())),
            ..Default::default()
        };
        assert_eq!(store.filtered(&f).count(), 1);
        let f = MessageFilter {
            status: Some(Status::Delivered),
            ..Default::default()
        };
        assert_eq!(store.filtered(&f).count(), 0);
        assert_eq!(Status::parse("pending"), Some(Status::Pending));
        assert_eq!(Status::parse("Pending"), None);
    }
}
