//! The one integration-test binary: real processes, real tmux servers on private sockets, temp state.

mod cli;
mod conformance;
mod conformance_agents;
mod conformance_pairs;
mod connect;
mod daemon;
mod foundation;
mod import;
mod share_lifecycle;
mod stop;
mod support;
mod tmux;
mod tui;
