//! The contract harness: fixtures of provider exchanges, and their replay against smsim.
//!
//! # Layout
//! - [`fixture`]: the fixture format and a loader that names the file and field of any mistake.
//! - [`provenance`]: where an expected answer came from, and the checks that hold each kind of
//!   source to its word (verbatim quotes, the quirk-flip rule).
//! - [`replay`]: sends a fixture's request to any base URL and lists every difference from the
//!   expected response at once.
//! - [`inprocess`]: replays a fixture against its own deterministic in-process simulator.
//! - [`live`]: replays the safe fixtures against any base URL and reports drift.

pub mod fixture;
pub mod inprocess;
pub mod live;
pub mod provenance;
pub mod replay;

pub use fixture::{Fixture, FixtureError};
pub use replay::{Mismatch, replay};
