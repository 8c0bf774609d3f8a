//! Pure: the process rows of a [`Data`] as the Processes panel lists them. Trees are grouped by the
//! owner of their top process (a session, a global server, or nobody), groups and siblings are sorted
//! by the chosen key, and a filter keeps the trees (or whole groups) that mention the text.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::data::Data;

/// How the process tree is ordered (`s` cycles through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Largest tree first (a tree's RSS includes its descendants).
    #[default]
    Rss,
    /// Oldest first.
    Age,
    /// By command line, A to Z.
    Name,
}

impl SortKey {
    /// The next key in the cycle.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Rss => SortKey::Age,
            SortKey::Age => SortKey::Name,
            SortKey::Name => SortKey::Rss,
        }
    }

    /// How the key is named on screen.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Rss => "RSS",
            SortKey::Age => "age",
            SortKey::Name => "name",
        }
    }
}

/// One line of the Processes panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewRow {
    /// The head of an owner's trees.
    Group {
        /// `session:NAME`, `global:NAME`, or `None` for processes nobody owns.
        owner: Option<String>,
        processes: usize,
        rss_bytes: u64,
        orphans: usize,
    },
    /// A process: `index` into [`Data::rows`], drawn after `prefix` (the tree's branches).
    Proc { index: usize, prefix: String },
}

impl ViewRow {
    /// What stays the same across refreshes, to keep the selection on the same line.
    pub fn key(&self, data: &Data) -> RowKey {
        match self {
            ViewRow::Group { owner, .. } => RowKey::Group(owner.clone()),
            ViewRow::Proc { index, .. } => RowKey::Proc(
                data.rows.get(*index).map_or(0, |r| r.pid),
                data.rows.get(*index).map_or(0, |r| r.start_time),
            ),
        }
    }
}

/// A line's identity: a group's owner, or a process's pid and start time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKey {
    Group(Option<String>),
    Proc(i32, u64),
}

struct Forest {
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    tree_rss: Vec<u64>,
}

fn forest(data: &Data) -> Forest {
    let n = data.rows.len();
    let mut children = vec![Vec::new(); n];
    let mut roots = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for (i, r) in data.rows.iter().enumerate() {
        while stack
            .last()
            .is_some_and(|&top| data.rows[top].depth >= r.depth)
        {
            stack.pop();
        }
        match stack.last() {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
        stack.push(i);
    }
    let mut tree_rss: Vec<u64> = data.rows.iter().map(|r| r.rss_bytes).collect();
    // Children come after their parent, so a reverse pass sees every subtree complete.
    for i in (0..n).rev() {
        let below: u64 = children[i].iter().map(|&c| tree_rss[c]).sum();
        tree_rss[i] = tree_rss[i].saturating_add(below);
    }
    Forest {
        children,
        roots,
        tree_rss,
    }
}

fn matches(data: &Data, i: usize, needle: &str) -> bool {
    let r = &data.rows[i];
    r.command.to_lowercase().contains(needle)
        || r.pid.to_string().contains(needle)
        || r.owner
            .as_deref()
            .is_some_and(|o| o.to_lowercase().contains(needle))
}

fn tree_matches(data: &Data, f: &Forest, i: usize, needle: &str) -> bool {
    matches(data, i, needle)
        || f.children[i]
            .iter()
            .any(|&c| tree_matches(data, f, c, needle))
}

fn compare(data: &Data, f: &Forest, sort: SortKey, a: usize, b: usize) -> Ordering {
    let (ra, rb) = (&data.rows[a], &data.rows[b]);
    let primary = match sort {
        SortKey::Rss => f.tree_rss[b].cmp(&f.tree_rss[a]),
        SortKey::Age => rb.age_seconds.cmp(&ra.age_seconds),
        SortKey::Name => ra.command.to_lowercase().cmp(&rb.command.to_lowercase()),
    };
    primary.then(ra.pid.cmp(&rb.pid))
}

fn emit(
    data: &Data,
    f: &Forest,
    sort: SortKey,
    i: usize,
    prefix: String,
    cont: &str,
    out: &mut Vec<ViewRow>,
) {
    out.push(ViewRow::Proc { index: i, prefix });
    let mut kids = f.children[i].clone();
    kids.sort_by(|&a, &b| compare(data, f, sort, a, b));
    let last = kids.len().saturating_sub(1);
    for (n, k) in kids.into_iter().enumerate() {
        let (branch, next) = if n == last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        emit(
            data,
            f,
            sort,
            k,
            format!("{cont}{branch}"),
            &format!("{cont}{next}"),
            out,
        );
    }
}

struct Group {
    owner: Option<String>,
    roots: Vec<usize>,
    rss: u64,
    oldest: u64,
    /// Some of its trees are orphans.
    orphans: bool,
}

/// The Processes panel's lines for `data`, sorted by `sort`, keeping what `filter` mentions (case-
/// insensitive; in a command, a pid or an owner). An empty filter keeps everything.
pub fn build(data: &Data, sort: SortKey, filter: &str) -> Vec<ViewRow> {
    let f = forest(data);
    let needle = filter.trim().to_lowercase();
    let mut by_owner: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for &r in &f.roots {
        by_owner
            .entry(data.rows[r].owner.clone())
            .or_default()
            .push(r);
    }
    let mut groups: Vec<Group> = by_owner
        .into_iter()
        .filter_map(|(owner, roots)| {
            let owner_hit = !needle.is_empty()
                && owner
                    .as_deref()
                    .is_some_and(|o| o.to_lowercase().contains(&needle));
            let roots: Vec<usize> = if needle.is_empty() || owner_hit {
                roots
            } else {
                roots
                    .into_iter()
                    .filter(|&r| tree_matches(data, &f, r, &needle))
                    .collect()
            };
            if roots.is_empty() {
                return None;
            }
            let rss = roots.iter().map(|&r| f.tree_rss[r]).sum();
            let oldest = roots
                .iter()
                .map(|&r| data.rows[r].age_seconds)
                .max()
                .unwrap_or(0);
            let orphans = roots.iter().any(|&r| data.rows[r].orphan);
            Some(Group {
                owner,
                roots,
                rss,
                oldest,
                orphans,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        let primary = match sort {
            SortKey::Rss => b.rss.cmp(&a.rss),
            SortKey::Age => b.oldest.cmp(&a.oldest),
            SortKey::Name => Ordering::Equal,
        };
        // Groups holding orphans (what there is to act on) first; then the sort; nobody's
        // processes last among equals; then by owner name.
        b.orphans
            .cmp(&a.orphans)
            .then(primary)
            .then(a.owner.is_none().cmp(&b.owner.is_none()))
            .then(a.owner.cmp(&b.owner))
    });
    let mut out = Vec::new();
    for mut g in groups {
        g.roots.sort_by(|&a, &b| compare(data, &f, sort, a, b));
        let at = out.len();
        out.push(ViewRow::Group {
            owner: g.owner,
            processes: 0,
            rss_bytes: g.rss,
            orphans: 0,
        });
        for r in g.roots {
            emit(data, &f, sort, r, String::new(), "", &mut out);
        }
        let members = &out[at + 1..];
        let procs = members.len();
        let orphans = members
            .iter()
            .filter(|v| matches!(v, ViewRow::Proc { index, .. } if data.rows[*index].orphan && !data.rows[*index].young))
            .count();
        if let Some(ViewRow::Group {
            processes,
            orphans: o,
            ..
        }) = out.get_mut(at)
        {
            *processes = procs;
            *o = orphans;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::{data, proc_row};

    fn pids(v: &[ViewRow], d: &Data) -> Vec<String> {
        v.iter()
            .map(|r| match r {
                ViewRow::Group {
                    owner, processes, ..
                } => format!("[{}:{processes}]", owner.as_deref().unwrap_or("-")),
                ViewRow::Proc { index, prefix } => format!("{prefix}{}", d.rows[*index].pid),
            })
            .collect()
    }

    fn sample() -> Data {
        let mut d = data(&[], vec![]);
        d.rows = vec![
            proc_row(
                10,
                0,
                Some("session:api"),
                1_000_000,
                50,
                "npm exec @modelcontextprotocol/server-git",
            ),
            proc_row(
                11,
                1,
                Some("session:api"),
                2_000_000,
                50,
                "sh -c mcp-server-git",
            ),
            proc_row(
                12,
                2,
                Some("session:api"),
                90_000_000,
                49,
                "node mcp-server-git",
            ),
            proc_row(13, 1, Some("session:api"), 5_000_000, 40, "node helper"),
            proc_row(
                20,
                0,
                Some("global:fs"),
                40_000_000,
                900,
                "node server-filesystem",
            ),
            proc_row(30, 0, None, 70_000_000, 5000, "node serena"),
            proc_row(31, 0, None, 10_000_000, 10, "node sequential-thinking"),
        ];
        d.rows[5].orphan = true;
        d
    }

    #[test]
    fn groups_by_owner_with_tree_branches() {
        let d = sample();
        let v = build(&d, SortKey::Rss, "");
        assert_eq!(
            pids(&v, &d),
            [
                "[-:2]",
                "30",
                "31",
                "[session:api:4]",
                "10",
                "├─ 11",
                "│  └─ 12",
                "└─ 13",
                "[global:fs:1]",
                "20"
            ],
            "the group with an orphan comes first"
        );
        assert!(matches!(
            v[3],
            ViewRow::Group {
                rss_bytes: 98_000_000,
                orphans: 0,
                ..
            }
        ));
        assert!(matches!(
            v[0],
            ViewRow::Group {
                rss_bytes: 80_000_000,
                orphans: 1,
                ..
            }
        ));
    }

    #[test]
    fn sorts_by_age_and_name() {
        let d = sample();
        let by_age = pids(&build(&d, SortKey::Age, ""), &d);
        assert_eq!(by_age[0], "[-:2]");
        assert_eq!(by_age[1], "30");
        let by_name = pids(&build(&d, SortKey::Name, ""), &d);
        // Orphans first, then by owner name.
        assert_eq!(by_name[0], "[-:2]");
        assert_eq!(by_name[3], "[global:fs:1]");
        // Siblings by command: `node helper` before `sh -c ...`.
        assert_eq!(
            by_name[5..10],
            ["[session:api:4]", "10", "├─ 13", "└─ 11", "   └─ 12"]
        );
        assert_eq!(SortKey::Rss.next().next().next(), SortKey::Rss);
    }

    #[test]
    fn filter_keeps_whole_trees_and_matching_groups() {
        let d = sample();
        assert_eq!(
            pids(&build(&d, SortKey::Rss, "HELPER"), &d),
            ["[session:api:4]", "10", "├─ 11", "│  └─ 12", "└─ 13"]
        );
        assert_eq!(
            pids(&build(&d, SortKey::Rss, "fs"), &d),
            ["[global:fs:1]", "20"]
        );
        assert_eq!(pids(&build(&d, SortKey::Rss, "31"), &d), ["[-:1]", "31"]);
        assert!(build(&d, SortKey::Rss, "nothing-like-this").is_empty());
    }

    #[test]
    fn empty_data_gives_no_rows() {
        assert!(build(&data(&[], vec![]), SortKey::Rss, "").is_empty());
    }
}
