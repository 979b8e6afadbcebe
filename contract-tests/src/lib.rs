//! The contract harness: fixtures of provider exchanges, and their replay against smsim.
//!
//! # Layout
//! - [`fixture`]: the fixture format, its provenance, and a loader that names the file and field
//!   of any mistake.
//! - [`replay`]: sends a fixture's request to any base URL and lists every difference from the
//!   expected response at once.
//! - [`inprocess`]: replays a fixture against its own deterministic in-process simulator.
//! - [`live`]: replays the safe fixtures against any base URL and reports drift.

pub mod fixture;
pub mod inprocess;
pub mod live;
pub mod replay;

pub use fixture::{Fixture, FixtureError};
pub use replay::{Mismatch, replay};
