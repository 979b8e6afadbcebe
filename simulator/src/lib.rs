//! smsim: an offline stand-in for the smsoffice.ge, smsco.ge and getsms.uz SMS gateways.
//!
//! It reproduces the providers' endpoints and reply bodies byte for byte, keeps simulated
//! accounts and messages, and exposes an admin API under `/__admin`. Start it in-process from a
//! Rust test with [`Simulator::start_default`], or drive [`app`] without a socket.
//!
//! # Layout
//! Dependencies point one way, each layer using only those listed before it:
//! - [`domain`]: the simulated world without HTTP, CLI or provider knowledge: messages, clock,
//!   schedule, rules, faults as data, journal, segments.
//! - [`http`]: plumbing that knows no provider: reading requests, parameters, pages, the
//!   [`http::Handler`] shape of an endpoint.
//! - [`providers`]: one folder per provider owning everything about it.
//! - [`config`]: the typed configuration, composed of the providers' sections and quirks.
//! - [`sim`]: one running simulation: the world and each provider's state behind one lock.
//! - [`gateway`]: routes a request, applies faults, runs the endpoint, writes the journal.
//! - [`engine`], [`admin`], [`server`], [`cli`]: time, the `/__admin` API, the listener, flags.
//! - `record` (feature `record`): `smsim record`, the proxy that writes recorded fixtures.

pub mod admin;
pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod gateway;
pub mod http;
pub mod providers;
#[cfg(feature = "record")]
pub mod record;
pub mod server;
pub mod sim;

pub use config::{Config, ConfigError};
pub use server::{Simulator, app};
pub use sim::Sim;
