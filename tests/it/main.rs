//! The one integration-test binary: real processes, real tmux servers on private sockets, temp state.

mod cli;
mod connect;
mod daemon;
mod fast;
mod foundation;
mod import;
mod link;
mod output;
mod peers;
mod stop;
mod support;
mod tmux;
mod tui;
