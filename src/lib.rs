//! mcpd: a tmux-aware supervisor for MCP servers and the child processes AI coding agents leave
//! behind. The binary is a thin shell over this library (see DESIGN.md for the shape): plain values in
//! `model`; pure decisions over them in `matcher`, `sweep`, `health` and `names`; the operating system
//! only in `procs`, `state`, `tmux` and the command layer.

pub mod cli;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod duplicates;
pub mod gather;
pub mod generate;
pub mod health;
pub mod import;
pub mod journal;
pub mod judge;
pub mod link;
pub mod matcher;
pub mod model;
pub mod names;
pub mod output;
pub mod paths;
pub mod procs;
pub mod ps_rows;
pub mod session;
pub mod state;
pub mod sweep;
pub mod tmux;
pub mod trend;
pub mod tui;
pub mod units;
pub mod world;
