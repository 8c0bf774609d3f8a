//! tmux integration on private servers.
