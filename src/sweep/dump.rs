//! What mcpd saw, as one JSON value (`mcpd ps --dump FILE`): the process table with its tags, the
//! stdio evidence, the tmux view, the records and the matching rules. The pure classifier replays it,
//! so a user's bug report or a committed fixture of a real machine is a test
//! (tests/fixtures/dumps/). A fixture may carry `expect`: pid -> `orphan`, `owned`, `protected`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Classified, Inputs};
use crate::matcher::Matcher;
use crate::model::{ProcInfo, Record, Snapshot, StdioView, TmuxView};

/// The format's version; a newer one is refused with a clear message.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dump {
    pub version: u32,
    /// What this dump shows (free text; fixtures say which scenario).
    #[serde(default)]
    pub note: String,
    pub my_uid: u32,
    pub taken_at: f64,
    pub ticks_per_sec: u64,
    pub boot_time: u64,
    pub orphan_min_age_secs: u64,
    pub state_tag: Option<String>,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub launchers: Vec<String>,
    pub procs: Vec<ProcInfo>,
    pub records: Vec<Record>,
    pub tmux: Option<TmuxView>,
    pub stdio: Vec<StdioView>,
    /// For fixtures: the verdict expected for each pid.
    #[serde(default)]
    pub expect: BTreeMap<i32, String>,
}

/// The verdict of one classification, as fixtures name it.
pub fn verdict(c: &Classified) -> &'static str {
    match (&c.orphan, &c.client) {
        (Some(_), _) => "orphan",
        (None, Some(_)) => "protected",
        (None, None) => "owned",
    }
}

impl Dump {
    /// Parses a dump, refusing a newer format by name.
    pub fn parse(text: &str) -> Result<Dump, String> {
        let d: Dump = serde_json::from_str(text).map_err(|e| format!("not an mcpd dump: {e}"))?;
        if d.version > VERSION {
            return Err(format!(
                "dump version {} is newer than this mcpd understands ({VERSION}): upgrade mcpd",
                d.version
            ));
        }
        Ok(d)
    }

    /// Classifies the dump as mcpd did when it took it.
    pub fn classify(&self) -> Vec<Classified> {
        let snap = Snapshot::from_procs(
            self.procs.clone(),
            self.ticks_per_sec,
            self.boot_time,
            self.taken_at,
        );
        let matcher = Matcher::new(
            self.patterns.clone(),
            self.exclude.clone(),
            self.launchers.clone(),
        );
        let stdio: HashMap<i32, StdioView> =
            self.stdio.iter().map(|v| (v.pid, v.clone())).collect();
        super::classify(&Inputs {
            snapshot: &snap,
            records: &self.records,
            tmux: self.tmux.as_ref(),
            matcher: &matcher,
            my_uid: self.my_uid,
            orphan_min_age: Duration::from_secs(self.orphan_min_age_secs),
            state_tag: self.state_tag.as_deref(),
            stdio: Some(&stdio),
        })
    }

    /// The expectations that the replay does not meet, as messages.
    pub fn mismatches(&self) -> Vec<String> {
        let got: HashMap<i32, &'static str> = self
            .classify()
            .iter()
            .map(|c| (c.pid, verdict(c)))
            .collect();
        self.expect
            .iter()
            .filter_map(|(pid, want)| {
                let have = got.get(pid).copied().unwrap_or("not MCP-like");
                (have != want).then(|| format!("pid {pid}: expected {want}, got {have}"))
            })
            .collect()
    }
}
