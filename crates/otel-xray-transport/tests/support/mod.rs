//! Helpers shared by the transport's integration tests.
#![allow(dead_code)]

pub mod docs;
pub mod moto;
