//! The X-Ray filter-expression language.
//!
//! A filter expression is parsed once into an [`Expr`] tree and evaluated against the
//! [`TraceFacts`] of each candidate trace.

mod facts;

pub use facts::{AnnotationValue, EdgeFacts, HttpFacts, NodeFacts, TraceFacts};
