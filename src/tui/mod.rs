//! The terminal dashboard (`mcpd tui`, and bare `mcpd` on a terminal).
//!
//! Shape, after bottom and television: input becomes an [`Action`](action::Action); only
//! [`App::handle`](app::App::handle) changes state, and what needs the outside world comes back as an
//! [`Effect`](app::Effect); drawing is a pure [`draw::draw`] with one function per panel; the data is a
//! plain [`Data`](data::Data) value that a background thread gathers (so tests build it by hand and
//! render into ratatui's `TestBackend`). The shell ([`runner`]) owns the terminal and restores it on
//! quit, error, panic and termination signals; logs go to a file, never to the screen.

pub mod action;
pub mod app;
pub mod collector;
pub mod data;
pub mod draw;
pub mod effects;
pub mod history;
pub mod logging;
pub mod runner;
pub mod signals;
pub mod terminal;
pub mod tmux_switch;
pub mod tree;

#[cfg(test)]
mod fixtures;

pub use runner::{Options, run};
