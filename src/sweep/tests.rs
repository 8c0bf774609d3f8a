//! Synthetic process tables for the pure orphan logic.

use std::collections::HashMap;

use super::*;
use crate::model::{Access, Endpoint, EnvTags, Holder, SessionInfo, TmuxTag};

const ME: u32 = 1000;
const HZ: u64 = 100;
const NOW: f64 = 10_000.0;

/// A process started `age` seconds before NOW.
fn proc(pid: i32, ppid: i32, age: u64, args: &[&str]) -> ProcInfo {
    ProcInfo::new(pid, ppid, args)
        .with_uid(ME)
        .with_start((NOW as u64 - age) * HZ)
        .with_rss(10_000_000)
}

fn base() -> Vec<ProcInfo> {
    vec![
        proc(1, 0, 9000, &["/sbin/init"]),
        proc(50, 1, 9000, &["tmux", "new", "-s", "work"]),
        proc(60, 50, 8000, &["-bash"]),
    ]
}

fn matcher() -> Matcher {
    Matcher::from_config(&crate::config::Config::default())
}

fn run(
    procs: Vec<ProcInfo>,
    records: &[Record],
    tmux: Option<&TmuxView>,
) -> (Vec<Classified>, Plan) {
    run_with(procs, records, tmux, &[])
}

/// Stdio evidence: every process's stdin is a pipe whose write end `clients` says who holds
/// (`(pid, client)`); everyone else's stdin and stdout are /dev/null.
fn stdio_of(procs: &[ProcInfo], clients: &[(i32, i32)]) -> HashMap<i32, StdioView> {
    procs
        .iter()
        .map(|p| {
            let holders: Vec<Holder> = clients
                .iter()
                .filter(|(pid, _)| *pid == p.pid)
                .map(|(_, c)| Holder {
                    pid: *c,
                    fd: 5,
                    mode: Access::Write,
                })
                .collect();
            let stdin = if holders.is_empty() {
                Endpoint::DevNull
            } else {
                Endpoint::Pipe {
                    inode: 1000 + p.pid as u64,
                }
            };
            (
                p.pid,
                StdioView {
                    pid: p.pid,
                    stdin,
                    stdout: Endpoint::DevNull,
                    stdin_clients: holders,
                    stdout_clients: vec![],
                },
            )
        })
        .collect()
}

fn run_with(
    procs: Vec<ProcInfo>,
    records: &[Record],
    tmux: Option<&TmuxView>,
    clients: &[(i32, i32)],
) -> (Vec<Classified>, Plan) {
    let mut procs = procs;
    for p in &mut procs {
        if p.comm == "tmux" {
            p.comm = "tmux: server".into();
        }
    }
    let stdio = stdio_of(&procs, clients);
    let snap = Snapshot::from_procs(procs, HZ, 0, NOW);
    let m = matcher();
    let inp = Inputs {
        snapshot: &snap,
        records,
        tmux,
        matcher: &m,
        my_uid: ME,
        orphan_min_age: Duration::from_secs(60),
        state_tag: Some("/state"),
        stdio: Some(&stdio),
    };
    let c = classify(&inp);
    let p = plan(&inp, &c);
    (c, p)
}

fn get(c: &[Classified], pid: i32) -> &Classified {
    c.iter()
        .find(|c| c.pid == pid)
        .unwrap_or_else(|| panic!("pid {pid} not classified as MCP-like: {c:?}"))
}

fn npx_tree(root_ppid: i32, pid0: i32, age: u64) -> Vec<ProcInfo> {
    vec![
        proc(
            pid0,
            root_ppid,
            age,
            &[
                "npm",
                "exec",
                "@modelcontextprotocol/server-filesystem",
                "/tmp",
            ],
        ),
        proc(
            pid0 + 1,
            pid0,
            age,
            &["sh", "-c", "mcp-server-filesystem /tmp"],
        ),
        proc(
            pid0 + 2,
            pid0 + 1,
            age,
            &[
                "node",
                "/home/u/.npm/_npx/x/node_modules/.bin/mcp-server-filesystem",
                "/tmp",
            ],
        ),
    ]
}

#[test]
fn npx_tree_under_an_agent_in_tmux_is_owned() {
    let mut t = base();
    t.push(proc(70, 60, 500, &["claude"]));
    t.extend(npx_tree(70, 100, 400));
    let (c, plan) = run(t, &[], None);
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|c| c.orphan.is_none()), "{c:?}");
    assert!(plan.is_empty());
}

#[test]
fn agent_run_by_node_is_passed_over_and_the_shell_owns() {
    let mut t = base();
    t.push(proc(
        70,
        60,
        500,
        &[
            "node",
            "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
        ],
    ));
    t.extend(npx_tree(70, 100, 400));
    let (c, _) = run(t, &[], None);
    assert!(c.iter().all(|c| c.orphan.is_none()));
}

#[test]
fn reparented_npx_tree_is_an_orphan_and_only_its_top_is_planned() {
    let mut t = base();
    t.extend(npx_tree(1, 100, 400));
    let (c, plan) = run(t, &[], None);
    for pid in [100, 101, 102] {
        assert!(
            matches!(
                get(&c, pid).orphan,
                Some(OrphanWhy::Reparented { to_pid: 1, .. })
            ),
            "{pid}"
        );
    }
    assert_eq!(plan.stop.len(), 1);
    assert_eq!(plan.stop[0].pid, 100);
    assert_eq!(plan.stop[0].rss_bytes, 30_000_000);
}

#[test]
fn half_dead_tree_sh_under_pid1_is_an_orphan() {
    // npm exec was SIGKILLed: sh reparented to 1, node below it.
    let mut t = base();
    let mut tree = npx_tree(1, 100, 400);
    tree.remove(0);
    tree[0].ppid = 1;
    t.extend(tree);
    let (c, plan) = run(t, &[], None);
    assert!(get(&c, 102).orphan.is_some());
    assert_eq!(
        plan.stop.iter().map(|s| s.pid).collect::<Vec<_>>(),
        vec![101]
    );
}

#[test]
fn uvx_tree_reparented_to_systemd_user_is_an_orphan() {
    let mut t = base();
    t.push(proc(20, 1, 9000, &["/lib/systemd/systemd", "--user"]));
    t[3].comm = "systemd".into();
    t.push(proc(
        200,
        20,
        300,
        &["/home/u/.local/bin/uv", "tool", "uvx", "mcp-server-time"],
    ));
    t.push(proc(
        201,
        200,
        300,
        &["python3.12", "/home/u/.cache/uv/bin/mcp-server-time"],
    ));
    let (c, plan) = run(t, &[], None);
    assert!(
        matches!(&get(&c, 201).orphan, Some(OrphanWhy::Reparented { to_pid: 20, to_name }) if to_name == "systemd")
    );
    assert_eq!(plan.stop[0].pid, 200);
}

#[test]
fn editor_owned_server_is_not_an_orphan() {
    let mut t = base();
    t.push(proc(
        300,
        1,
        900,
        &["/usr/share/code/code", "--type=extensionHost"],
    ));
    t.push(proc(
        301,
        300,
        800,
        &[
            "node",
            "/x/node_modules/@modelcontextprotocol/server-memory/dist/index.js",
        ],
    ));
    let (c, _) = run(t, &[], None);
    assert!(get(&c, 301).orphan.is_none());
}

#[test]
fn young_orphans_are_reported_not_stopped() {
    let mut t = base();
    t.extend(npx_tree(1, 100, 5));
    let (c, plan) = run(t, &[], None);
    assert!(get(&c, 100).orphan.is_some() && get(&c, 100).young);
    assert!(plan.stop.is_empty());
}

#[test]
fn other_users_and_non_mcp_orphans_are_ignored() {
    let mut t = base();
    let mut theirs = npx_tree(1, 100, 400);
    for p in &mut theirs {
        p.uid = 65534;
    }
    t.extend(theirs);
    t.push(proc(400, 1, 400, &["sleep", "1000"]));
    let (c, plan) = run(t, &[], None);
    assert!(c.is_empty(), "{c:?}");
    assert!(plan.is_empty());
}

fn view(server_pid: i32, sessions: &[(u32, &str)]) -> TmuxView {
    TmuxView {
        server_pid,
        socket_path: "/tmp/s".into(),
        sessions: sessions
            .iter()
            .map(|(id, n)| SessionInfo {
                id: *id,
                name: n.to_string(),
                attached: 0,
                activity: 0,
                created: 0,
                path: String::new(),
            })
            .collect(),
        // The base table's shell (60) is the first session's pane.
        panes: sessions
            .first()
            .map(|(id, n)| crate::model::Pane {
                pid: 60,
                session_id: *id,
                session_name: n.to_string(),
                tty: "/dev/pts/0".into(),
            })
            .into_iter()
            .collect(),
        next_session_id: None,
    }
}

fn record(p: &ProcInfo, owner: Owner, origin: Origin) -> Record {
    Record::of(p, owner, origin)
}

#[test]
fn recorded_session_gone_means_orphan_whatever_the_age_and_records_drop() {
    let mut t = base();
    let tree = npx_tree(60, 100, 2); // young, and still under a live shell (SIGHUP ignored)
    let recs: Vec<Record> = tree
        .iter()
        .map(|p| record(p, Owner::Session("dead".into()), Origin::Adopted))
        .collect();
    t.extend(tree);
    let mut v = view(50, &[(0, "work")]);
    v.panes.clear(); // 60 was the dead session's pane
    let (c, plan) = run(t, &recs, Some(&v));
    assert!(
        matches!(&get(&c, 102).orphan, Some(OrphanWhy::SessionGone { session }) if session == "dead")
    );
    assert_eq!(plan.stop.len(), 1);
    assert_eq!(plan.drop.len(), 3);
    assert!(plan.drop.iter().all(|d| d.why == DropWhy::SessionGone));
}

#[test]
fn session_records_are_not_judged_without_tmux() {
    let mut t = base();
    let tree = npx_tree(60, 100, 400);
    let recs: Vec<Record> = tree
        .iter()
        .map(|p| record(p, Owner::Session("dead".into()), Origin::Adopted))
        .collect();
    t.extend(tree);
    let (c, plan) = run(t, &recs, None);
    assert!(get(&c, 100).orphan.is_none());
    assert!(plan.is_empty());
}

fn stale_tag(server_pid: i32, session_id: u32) -> Option<EnvTags> {
    Some(EnvTags {
        tmux: Some(TmuxTag {
            socket: "/tmp/s".into(),
            server_pid,
            session_id,
        }),
        ..Default::default()
    })
}

#[test]
fn stale_tmux_tags_with_a_live_client_are_protected() {
    // An editor started with setsid in a pane outlived its session; its server carries the stale
    // TMUX tag, and the editor holds its stdin: a live client, never an orphan.
    let mut t = base();
    t.push(proc(80, 1, 900, &["/usr/share/code/code"]));
    let mut tree = npx_tree(80, 100, 400);
    tree[0].env = stale_tag(999, 0);
    tree[1].env = stale_tag(50, 7);
    tree[2].env = stale_tag(50, 7);
    t.extend(tree);
    let v = view(50, &[(0, "work")]);
    let (c, plan) = run_with(t.clone(), &[], Some(&v), &[(100, 80), (101, 80), (102, 80)]);
    assert!(c.iter().all(|c| c.orphan.is_none()), "{c:?}");
    assert_eq!(
        get(&c, 102).client,
        Some(Client::Live {
            pid: 80,
            command: "/usr/share/code/code".into()
        })
    );
    assert!(get(&c, 102).reason().starts_with("has a live client: 80"));
    assert!(plan.stop.is_empty());
    // Without the client, the tags say their sessions are gone.
    let (c, plan) = run(t, &[], Some(&v));
    assert!(
        matches!(get(&c, 102).orphan, Some(OrphanWhy::SessionGone { .. })),
        "{c:?}"
    );
    assert_eq!(plan.stop.iter().map(|s| s.pid).collect::<Vec<_>>(), [100]);
}

#[test]
fn a_session_created_after_the_view_is_never_taken_for_gone() {
    // The view was taken, then session $7 was created and its server started, then the pass saw
    // it (a hook's reconcile, a sweep): $7 is not in the view, but tmux said its next id was 7.
    let mut t = base();
    let mut tree = npx_tree(1, 100, 400);
    for p in &mut tree {
        p.env = stale_tag(50, 7);
    }
    let recs: Vec<Record> = tree
        .iter()
        .map(|p| {
            let mut r = record(p, Owner::Session("new".into()), Origin::Adopted);
            r.session_id = Some(7);
            r
        })
        .collect();
    t.extend(tree);
    let mut v = view(50, &[(0, "work")]);
    v.next_session_id = Some(7);
    let gone = |c: &[Classified]| {
        c.iter()
            .filter(|c| matches!(c.orphan, Some(OrphanWhy::SessionGone { .. })))
            .count()
    };
    let (c, _) = run(t.clone(), &[], Some(&v));
    assert_eq!(gone(&c), 0, "{c:?}");
    assert!(
        c.iter()
            .all(|c| c.owner == Some(Owner::Session("$7".into())))
    );
    let (c, plan) = run(t.clone(), &recs, Some(&v));
    assert_eq!(gone(&c), 0, "{c:?}");
    assert!(
        plan.stop.iter().all(|s| !s.reason.contains("gone")),
        "{plan:?}"
    );
    // A view taken after $7 was created and closed (next id 8) says it is gone.
    v.next_session_id = Some(8);
    let (c, _) = run(t, &[], Some(&v));
    assert!(
        matches!(get(&c, 102).orphan, Some(OrphanWhy::SessionGone { .. })),
        "{c:?}"
    );
}

#[test]
fn detached_agent_under_pid1_keeps_its_server() {
    // `setsid node claude` whose parent is now PID 1: the agent is a client, not a launcher.
    let mut t = base();
    t.push(proc(
        70,
        1,
        500,
        &[
            "node",
            "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
        ],
    ));
    t.extend(npx_tree(70, 100, 400));
    t.push(proc(
        75,
        1,
        500,
        &["python3", "/srv/agent.py", "--mcp", "mcp-server-x"],
    ));
    t.push(proc(120, 75, 400, &["uvx", "mcp-server-time"]));
    let (c, plan) = run(t.clone(), &[], None);
    assert!(c.iter().all(|c| c.orphan.is_none()), "{c:?}");
    assert!(
        c.iter().all(|c| c.pid != 70 && c.pid != 75),
        "agents are not MCP-like: {c:?}"
    );
    assert!(plan.stop.is_empty());
    assert_eq!(get(&c, 102).evidence.steps.last().unwrap().pid, 70);
    // An agent running as PID 1 (a container) is protected by its live stdio.
    let mut t: Vec<ProcInfo> = vec![proc(1, 0, 9000, &["node", "/app/agent.js"])];
    t.extend(npx_tree(1, 100, 400));
    let (c, _) = run_with(t.clone(), &[], None, &[(100, 1), (101, 1), (102, 1)]);
    assert!(c.iter().all(|c| c.orphan.is_none()), "{c:?}");
    let (c, _) = run(t, &[], None);
    assert!(
        c.iter().all(|c| c.orphan.is_some()),
        "no client: orphans {c:?}"
    );
}

#[test]
fn a_child_of_the_tmux_server_with_no_pane_has_lost_it() {
    let mut t = base();
    t.push(proc(
        90,
        50,
        500,
        &["sh", "-c", "trap '' HUP; exec mcp-server-x"],
    ));
    t.push(proc(91, 50, 500, &["mcp-server-y"]));
    let v = view(50, &[(0, "work")]);
    let (c, plan) = run(t.clone(), &[], Some(&v));
    assert_eq!(
        get(&c, 91).orphan,
        Some(OrphanWhy::PaneGone { server_pid: 50 })
    );
    assert!(get(&c, 90).orphan.is_some());
    assert_eq!(plan.stop.len(), 2);
    // Another tmux server's children (or tmux not asked) are never judged so.
    let (c, _) = run(t, &[], None);
    assert!(get(&c, 91).orphan.is_none());
}

#[test]
fn records_follow_renames_and_moved_windows_by_id() {
    let mut t = base();
    t.push(proc(61, 50, 800, &["-bash"]));
    t.extend(npx_tree(60, 100, 400));
    t.extend(npx_tree(61, 200, 400));
    let mut v = view(50, &[(0, "renamed"), (1, "b")]);
    v.panes.push(crate::model::Pane {
        pid: 61,
        session_id: 1,
        session_name: "b".into(),
        tty: "/dev/pts/1".into(),
    });
    // 100's session was renamed (same id 0); 200's window moved from session $0 to b.
    let mut r1 = record(&t[4], Owner::Session("old".into()), Origin::Adopted);
    r1.session_id = Some(0);
    let mut r2 = record(&t[7], Owner::Session("old".into()), Origin::Adopted);
    r2.session_id = Some(0);
    let (c, plan) = run(t, &[r1, r2], Some(&v));
    assert_eq!(get(&c, 100).owner, Some(Owner::Session("renamed".into())));
    assert_eq!(get(&c, 200).owner, Some(Owner::Session("b".into())));
    assert!(c.iter().all(|c| c.orphan.is_none()), "{c:?}");
    let moves: Vec<(i32, String)> = plan
        .moves
        .iter()
        .map(|m| (m.pid, m.to.to_string()))
        .collect();
    assert_eq!(
        moves,
        [(100, "session:renamed".into()), (200, "session:b".into())]
    );
    assert!(plan.stop.is_empty() && plan.drop.is_empty());
}

#[test]
fn orphans_without_stdio_evidence_are_never_stoppable() {
    let mut t = base();
    t.extend(npx_tree(1, 100, 400));
    let snap = Snapshot::from_procs(t, HZ, 0, NOW);
    let m = matcher();
    let inp = Inputs {
        snapshot: &snap,
        records: &[],
        tmux: None,
        matcher: &m,
        my_uid: ME,
        orphan_min_age: Duration::from_secs(60),
        state_tag: None,
        stdio: None,
    };
    let c = classify(&inp);
    assert!(
        c.iter()
            .all(|c| c.orphan.is_some() && c.unverified && !c.stoppable())
    );
    assert_eq!(candidates(&c), [100, 101, 102]);
    assert!(plan(&inp, &c).stop.is_empty());
}

#[test]
fn systemd_services_are_not_orphans_but_what_systemd_adopted_is() {
    let mut t = base();
    t.push(proc(20, 1, 9000, &["/lib/systemd/systemd", "--user"]));
    t.last_mut().unwrap().comm = "systemd".into();
    let mut svc = proc(300, 20, 900, &["node", "/opt/mcp-server-sse/index.js"]);
    svc.env = Some(EnvTags {
        unit: Some("mcp-sse.service".into()),
        ..Default::default()
    });
    let mut stray = proc(301, 20, 900, &["node", "/opt/mcp-server-x/index.js"]);
    stray.env = Some(EnvTags {
        unit: Some("vte-spawn-1234.scope".into()),
        ..Default::default()
    });
    t.extend([svc, stray]);
    let (c, _) = run(t, &[], None);
    assert!(get(&c, 300).orphan.is_none());
    assert!(get(&c, 301).orphan.is_some());
}

#[test]
fn mcpd_tags_inherited_by_tmux_panes_are_not_ownership() {
    let mut t = base();
    let mut p = proc(600, 1, 400, &["node", "mcp-server-y"]);
    p.env = Some(EnvTags {
        mcpd_owner: Some("global:fs".into()),
        tmux: Some(TmuxTag {
            socket: "/tmp/other".into(),
            server_pid: 4242,
            session_id: 0,
        }),
        ..Default::default()
    });
    t.push(p);
    let (c, _) = run(t, &[], None);
    assert_eq!(get(&c, 600).owner, None);
    assert!(
        get(&c, 600).orphan.is_some(),
        "judged by lineage like any other process"
    );
}

#[test]
fn spawned_global_server_is_owned_even_under_pid1() {
    let mut t = base();
    let tree = npx_tree(1, 100, 400);
    let recs = vec![record(
        &tree[0],
        Owner::Global("fs".into()),
        Origin::Spawned,
    )];
    t.extend(tree);
    let (c, plan) = run(t, &recs, Some(&view(50, &[])));
    for pid in [100, 101, 102] {
        assert_eq!(get(&c, pid).owner, Some(Owner::Global("fs".into())));
        assert!(get(&c, pid).orphan.is_none());
    }
    assert!(plan.is_empty());
}

#[test]
fn recycled_and_gone_records_are_dropped_never_stopped() {
    let mut t = base();
    let victim = proc(500, 60, 400, &["node", "mcp-server-x"]);
    let mut stale = record(&victim, Owner::Session("work".into()), Origin::Adopted);
    stale.start_ticks += 1; // same pid, different process now
    let gone = Record {
        pid: 777,
        ..stale.clone()
    };
    t.push(victim);
    let (c, plan) = run(t, &[stale, gone], Some(&view(50, &[(0, "work")])));
    assert!(get(&c, 500).recorded.is_none());
    assert!(plan.stop.is_empty());
    let whys: Vec<DropWhy> = plan.drop.iter().map(|d| d.why).collect();
    assert_eq!(whys, vec![DropWhy::Recycled, DropWhy::Gone]);
}

#[test]
fn mcpd_owner_tag_claims_escaped_grandchildren() {
    let mut t = base();
    let mut p = proc(600, 1, 400, &["node", "worker.js"]);
    p.env = Some(EnvTags {
        mcpd_owner: Some("global:fs".into()),
        ..Default::default()
    });
    t.push(p);
    let (c, plan) = run(t, &[], None);
    assert_eq!(get(&c, 600).owner, Some(Owner::Global("fs".into())));
    assert!(get(&c, 600).orphan.is_none() && plan.is_empty());
}

#[test]
fn adoption_records_servers_not_the_agent_or_the_shell() {
    let mut t = base();
    t.push(proc(
        70,
        60,
        500,
        &[
            "node",
            "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
        ],
    ));
    t.extend(npx_tree(70, 100, 400));
    t.push(proc(110, 70, 300, &["rg", "foo"]));
    let snap = Snapshot::from_procs(t, HZ, 0, NOW);
    let v = view(50, &[(0, "work")]);
    let recs = adoptions(&snap, &v, &matcher(), &[], ME, 5);
    let pids: Vec<i32> = recs.iter().map(|r| r.pid).collect();
    assert_eq!(pids, vec![100, 101, 102]);
    assert!(
        recs.iter()
            .all(|r| r.owner == Owner::Session("work".into()) && r.session_id == Some(0))
    );
    // Already recorded: nothing new.
    assert!(adoptions(&snap, &v, &matcher(), &recs, ME, 5).is_empty());
}

#[test]
fn agent_as_pane_leader_is_not_adopted() {
    // `tmux new 'claude'`: the agent is the pane process itself.
    let mut t = base();
    t.push(proc(70, 50, 500, &["node", "/x/claude-code/cli.js"]));
    t.extend(npx_tree(70, 100, 400));
    let snap = Snapshot::from_procs(t, HZ, 0, NOW);
    let mut v = view(50, &[(1, "s")]);
    v.panes[0].pid = 70;
    let pids: Vec<i32> = adoptions(&snap, &v, &matcher(), &[], ME, 5)
        .iter()
        .map(|r| r.pid)
        .collect();
    assert_eq!(pids, vec![100, 101, 102]);
}
