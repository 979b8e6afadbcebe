//! The contract harness: fixtures of provider exchanges, and their replay against smsim.
//!
//! # Layout
//! Each module uses only those listed before it:
//! - [`provenance`] and [`fixture`]: the fixture format (with where an expected answer came from)
//!   and a loader that names the file and field of any mistake.
//! - [`upstream`]: the client that sends one request to a simulator or a real service, plain or
//!   over TLS.
//! - [`replay`]: sends a fixture's request upstream and lists every difference from the expected
//!   response at once.
//! - [`inprocess`]: replays a fixture against its own deterministic in-process simulator;
//!   [`live`]: replays the safe fixtures against any base URL and reports drift.
//! - [`audit`]: the checks that hold each kind of source to its word (verbatim quotes, the
//!   quirk-flip rule).

pub mod audit;
pub mod fixture;
pub mod inprocess;
pub mod live;
pub mod provenance;
pub mod replay;
pub mod upstream;

pub use fixture::{Fixture, FixtureError};
pub use replay::{Mismatch, replay};
