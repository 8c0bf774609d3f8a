//! The one integration-test binary: real processes, real tmux servers on private sockets, temp state.

mod cli;
mod conformance;
mod conformance_agents;
mod conformance_pairs;
mod connect;
mod daemon;
mod fast;
mod foundation;
mod import;
mod link;
mod output;
mod ownership;
mod ownership_daemon;
mod ownership_dumps;
mod ownership_tmux;
mod peers;
mod pidns;
mod share_lifecycle;
mod share_views;
mod stop;
mod supervisor;
mod support;
mod tmux;
mod tui;
