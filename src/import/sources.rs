//! Where a SOURCE's files are. The named sources expand to the places each agent keeps its config,
//! under the home and current directories (given by the caller, so this stays pure); anything else
//! is a file path whose format is detected from its content.

use std::path::{Path, PathBuf};

use super::Format;

/// The SOURCE names `mcpd import` knows, in the order "all" reads them.
pub const NAMES: &[&str] = &[
    "claude",
    "claude-desktop",
    "cursor",
    "vscode",
    "codex",
    "gemini",
    "opencode",
    "zed",
    "windsurf",
    "cline",
    "roo",
    "kiro",
    "amp",
    "goose",
    "continue",
    "copilot",
];

/// A file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Where it is (absolute when the inputs are).
    pub path: PathBuf,
    /// Its format when the location says so; `None`: detect from the content.
    pub format: Option<Format>,
    /// The project the file belongs to (its servers ran there), for project files.
    pub project_dir: Option<PathBuf>,
    /// Named by the user: a missing file is an error rather than "not found".
    pub required: bool,
    /// A folder whose `*.yaml`, `*.yml` and `*.json` files are each a config (Continue's
    /// `.continue/mcpServers/`).
    pub folder: bool,
    /// The SOURCE name of the agent (empty for a path the user named).
    pub agent: &'static str,
}

/// The directories the sources are relative to.
#[derive(Clone, Copy, Debug)]
pub struct Places<'a> {
    /// `$HOME`, if set.
    pub home: Option<&'a Path>,
    /// The current directory (project files are looked for here).
    pub cwd: &'a Path,
    /// `$CODEX_HOME`, if set (Codex's own override of `~/.codex`).
    pub codex_home: Option<&'a Path>,
    /// Claude Desktop and VS Code keep their files under `~/Library/Application Support` on macOS.
    pub macos: bool,
}

/// The SOURCE name of the agent that writes `format` (for names and messages).
pub fn agent_of(format: Format) -> &'static str {
    match format {
        Format::ClaudeCode | Format::McpServers => "claude",
        Format::VsCode => "vscode",
        Format::Codex => "codex",
        Format::Gemini => "gemini",
        Format::Opencode => "opencode",
        Format::Zed => "zed",
        Format::Windsurf => "windsurf",
        Format::Cline => "cline",
        Format::Roo => "roo",
        Format::Kiro => "kiro",
        Format::Amp => "amp",
        Format::Goose => "goose",
        Format::Continue => "continue",
        Format::CopilotCli => "copilot",
    }
}

/// The candidate files for `source` (`None`: every named source). Named sources need a home
/// directory, except for their project files.
pub fn candidates(source: Option<&str>, places: &Places<'_>) -> Result<Vec<Candidate>, String> {
    let names: Vec<&'static str> = match source {
        None | Some("all") => NAMES.to_vec(),
        Some(s) if NAMES.contains(&s) => NAMES.iter().copied().filter(|n| *n == s).collect(),
        Some(path) => {
            let path = places.cwd.join(path);
            let project_dir = project_dir_of(&path, places.home);
            return Ok(vec![Candidate {
                path,
                format: None,
                project_dir,
                required: true,
                folder: false,
                agent: "",
            }]);
        }
    };
    let mut out: Vec<Candidate> = Vec::new();
    for name in names {
        let home = places.home.ok_or_else(|| {
            format!("HOME is not set: cannot find the {name} config (give its path instead)")
        })?;
        let global = |path: PathBuf, format| Candidate {
            path,
            format: Some(format),
            project_dir: None,
            required: false,
            folder: false,
            agent: name,
        };
        let project = |rel: &str, format| Candidate {
            path: places.cwd.join(rel),
            format: Some(format),
            project_dir: Some(places.cwd.to_path_buf()),
            required: false,
            folder: false,
            agent: name,
        };
        let app_support = home.join("Library/Application Support");
        let code_storage = if places.macos {
            app_support.join("Code/User/globalStorage")
        } else {
            home.join(".config/Code/User/globalStorage")
        };
        let found = match name {
            "claude" => vec![
                global(home.join(".claude.json"), Format::ClaudeCode),
                project(".mcp.json", Format::McpServers),
            ],
            "claude-desktop" => {
                let dir = if places.macos {
                    app_support.join("Claude")
                } else {
                    home.join(".config/Claude")
                };
                vec![global(
                    dir.join("claude_desktop_config.json"),
                    Format::McpServers,
                )]
            }
            "cursor" => vec![
                global(home.join(".cursor/mcp.json"), Format::McpServers),
                project(".cursor/mcp.json", Format::McpServers),
            ],
            "vscode" => vec![project(".vscode/mcp.json", Format::VsCode)],
            "codex" => {
                let dir = places
                    .codex_home
                    .map_or_else(|| home.join(".codex"), Path::to_path_buf);
                vec![global(dir.join("config.toml"), Format::Codex)]
            }
            "gemini" => vec![
                global(home.join(".gemini/settings.json"), Format::Gemini),
                project(".gemini/settings.json", Format::Gemini),
            ],
            "opencode" => vec![
                global(
                    home.join(".config/opencode/opencode.json"),
                    Format::Opencode,
                ),
                global(
                    home.join(".config/opencode/opencode.jsonc"),
                    Format::Opencode,
                ),
                project("opencode.json", Format::Opencode),
                project("opencode.jsonc", Format::Opencode),
                project(".opencode/opencode.json", Format::Opencode),
                project(".opencode/opencode.jsonc", Format::Opencode),
            ],
            "zed" => vec![
                global(home.join(".config/zed/settings.json"), Format::Zed),
                project(".zed/settings.json", Format::Zed),
            ],
            "windsurf" => vec![global(
                home.join(".codeium/windsurf/mcp_config.json"),
                Format::Windsurf,
            )],
            "cline" => vec![
                global(
                    code_storage.join("saoudrizwan.claude-dev/settings/cline_mcp_settings.json"),
                    Format::Cline,
                ),
                global(
                    home.join(".cline/data/settings/cline_mcp_settings.json"),
                    Format::Cline,
                ),
            ],
            "roo" => vec![
                global(
                    code_storage.join("rooveterinaryinc.roo-cline/settings/mcp_settings.json"),
                    Format::Roo,
                ),
                project(".roo/mcp.json", Format::Roo),
            ],
            "kiro" => vec![
                global(home.join(".kiro/settings/mcp.json"), Format::Kiro),
                project(".kiro/settings/mcp.json", Format::Kiro),
            ],
            "amp" => vec![global(home.join(".config/amp/settings.json"), Format::Amp)],
            "goose" => vec![global(
                home.join(".config/goose/config.yaml"),
                Format::Goose,
            )],
            "continue" => vec![
                global(home.join(".continue/config.yaml"), Format::Continue),
                Candidate {
                    folder: true,
                    ..project(".continue/mcpServers", Format::Continue)
                },
            ],
            _ => vec![global(
                home.join(".copilot/mcp-config.json"),
                Format::CopilotCli,
            )],
        };
        for c in found {
            // In the home directory, ./.cursor/mcp.json is ~/.cursor/mcp.json: read it once.
            if !out.iter().any(|o| o.path == c.path) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The project a named file belongs to: the folder of a `.mcp.json`, the parent of the
/// `.vscode` or `.cursor` folder of an `mcp.json` (but not the home directory: `~/.cursor` is
/// Cursor's global config).
fn project_dir_of(path: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent()?;
    if name == ".mcp.json" {
        return Some(parent.to_path_buf());
    }
    let folder = parent.file_name()?.to_str()?;
    let project = parent.parent()?;
    (name == "mcp.json" && matches!(folder, ".vscode" | ".cursor") && Some(project) != home)
        .then(|| project.to_path_buf())
}

/// `path` as shown to the user: `~/...` under the home directory.
pub fn display(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rel) => format!("~/{}", rel.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places<'a>(home: &'a Path, cwd: &'a Path) -> Places<'a> {
        Places {
            home: Some(home),
            cwd,
            codex_home: None,
            macos: false,
        }
    }

    fn paths(c: &[Candidate]) -> Vec<String> {
        c.iter().map(|c| c.path.display().to_string()).collect()
    }

    #[test]
    fn all_sources_in_order() {
        let (home, cwd) = (Path::new("/h"), Path::new("/p"));
        let c = candidates(None, &places(home, cwd)).unwrap();
        assert_eq!(
            paths(&c)[..7],
            [
                "/h/.claude.json",
                "/p/.mcp.json",
                "/h/.config/Claude/claude_desktop_config.json",
                "/h/.cursor/mcp.json",
                "/p/.cursor/mcp.json",
                "/p/.vscode/mcp.json",
                "/h/.codex/config.toml",
            ]
        );
        assert_eq!(c[1].project_dir.as_deref(), Some(cwd));
        assert_eq!(c[0].project_dir, None);
        assert!(c.iter().all(|c| !c.required && c.format.is_some()));
        for name in NAMES {
            let c = candidates(Some(name), &places(home, cwd)).unwrap();
            assert!(
                !c.is_empty() && c.iter().all(|c| c.agent == *name),
                "{name}"
            );
        }
    }

    #[test]
    fn macos_desktop_and_codex_home() {
        let mut p = places(Path::new("/h"), Path::new("/p"));
        p.macos = true;
        p.codex_home = Some(Path::new("/c"));
        let desktop = candidates(Some("claude-desktop"), &p).unwrap();
        assert_eq!(
            paths(&desktop),
            ["/h/Library/Application Support/Claude/claude_desktop_config.json"]
        );
        assert_eq!(
            paths(&candidates(Some("codex"), &p).unwrap()),
            ["/c/config.toml"]
        );
    }

    #[test]
    fn cursor_in_home_is_read_once() {
        let c = candidates(Some("cursor"), &places(Path::new("/h"), Path::new("/h"))).unwrap();
        assert_eq!(paths(&c), ["/h/.cursor/mcp.json"]);
        assert_eq!(c[0].project_dir, None);
    }

    #[test]
    fn a_path_is_required_and_detected() {
        let p = places(Path::new("/h"), Path::new("/p"));
        let c = candidates(Some("x/.mcp.json"), &p).unwrap();
        assert_eq!(paths(&c), ["/p/x/.mcp.json"]);
        assert!(c[0].required && c[0].format.is_none());
        assert_eq!(c[0].project_dir.as_deref(), Some(Path::new("/p/x")));
        let v = candidates(Some("/q/.vscode/mcp.json"), &p).unwrap();
        assert_eq!(v[0].project_dir.as_deref(), Some(Path::new("/q")));
        let g = candidates(Some("/h/.cursor/mcp.json"), &p).unwrap();
        assert_eq!(g[0].project_dir, None);
        let t = candidates(Some("servers.json"), &p).unwrap();
        assert_eq!(t[0].project_dir, None);
    }

    #[test]
    fn named_sources_need_home() {
        let p = Places {
            home: None,
            cwd: Path::new("/p"),
            codex_home: None,
            macos: false,
        };
        let e = candidates(Some("claude"), &p).unwrap_err();
        assert!(e.contains("HOME"), "{e}");
        assert!(candidates(Some("./a.json"), &p).is_ok());
    }

    #[test]
    fn display_uses_tilde() {
        let home = Some(Path::new("/h"));
        assert_eq!(
            display(Path::new("/h/.claude.json"), home),
            "~/.claude.json"
        );
        assert_eq!(display(Path::new("/p/.mcp.json"), home), "/p/.mcp.json");
    }
}
