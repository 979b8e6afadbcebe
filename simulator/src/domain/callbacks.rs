//! The record of every callback attempt, bounded like the journal.

use serde::Serialize;

use super::clock::Timestamp;
use super::ring::NumberedLog;

/// One attempt to deliver one callback.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackAttempt {
    /// Increasing id.
    pub id: u64,
    /// The message reported on.
    pub message_id: u64,
    /// The message's account, when it was still held.
    pub account: Option<String>,
    /// The URL requested, query included.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When, on the simulator's clock.
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The receiver's body (first 1 kB), if it answered.
    pub body: Option<String>,
    /// The transport error (refused, timeout...), if it did not.
    pub error: Option<String>,
    /// True when the receiver answered `OK`.
    pub acknowledged: bool,
    /// True when this failed attempt was the last one allowed.
    pub given_up: bool,
    /// When the next attempt is due, after a failure with attempts left.
    pub retry_at: Option<Timestamp>,
    /// The fault injected into this attempt, if any.
    pub fault: Option<String>,
}

/// Attempts, oldest first; when full, the oldest is evicted and counted.
pub type CallbackLog = NumberedLog<CallbackAttempt>;
