//! The on-disk registry of every process mcpd started or adopted: one JSON file per owner under
//! `<state dir>/records/`, written atomically under an advisory lock (see [`registry`]).

pub mod atomic;
pub mod health;
pub mod moves;
pub mod owner;
pub mod registry;

pub use moves::apply_moves;
pub use owner::Owner;
pub use registry::{Registry, StateError, StateWarning};

pub use crate::model::{Origin, Record};
