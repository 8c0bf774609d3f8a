//! Who a process belongs to (the plain value lives in `crate::model::owner`).

pub use crate::model::Owner;
