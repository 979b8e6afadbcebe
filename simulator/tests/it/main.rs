//! Integration tests of the `smsim` server, one binary (linking is the slow part).

mod admin;
mod bad_input;
mod body_limits;
mod bounds;
mod callbacks;
mod cli;
mod client;
mod connections;
mod delivery;
mod doc_examples;
mod doc_tables;
mod encoding;
mod faults;
mod getsms;
mod getsms_allow_list;
mod https;
mod inbox_api;
mod latest;
mod openapi;
mod paths;
mod quirks_doc;
mod readme_rust;
mod smsco;
mod smsoffice_send;
mod smsoffice_status;
mod web_pages;
