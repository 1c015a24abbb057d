//! Helpers shared by the transport's integration tests.
#![allow(dead_code)]

pub mod docs;
pub mod fake_xray;
pub mod forward_proxy;
pub mod moto;
