//! `mcpd config check` and `mcpd config path`.

use anyhow::Context;

use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::Config;
use crate::paths::Paths;
use crate::state::atomic;

/// `mcpd init`: writes the commented default config, refusing to overwrite without `--force`.
pub fn init(g: &GlobalArgs, force: bool, stdout: bool) -> anyhow::Result<i32> {
    let text = crate::config::default_config_toml();
    if stdout {
        print!("{text}");
        return Ok(0);
    }
    let paths = Paths::resolve(g.config.clone())?;
    let path = &paths.config_file;
    if path.exists() && !force {
        anyhow::bail!(
            "{} exists; `mcpd init --force` overwrites it (or `--stdout` prints the default)",
            path.display()
        );
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    atomic::write(path, text.as_bytes(), atomic::Mode::Default)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {} (every option commented, with its default)",
        path.display()
    );
    Ok(0)
}

pub fn run(g: &GlobalArgs, c: ConfigCommand) -> anyhow::Result<i32> {
    let paths = Paths::resolve(g.config.clone())?;
    match c {
        ConfigCommand::Check => {
            let exists = paths.config_file.exists();
            let cfg = Config::load(&paths.config_file)?;
            if exists {
                println!(
                    "{}: ok ({} server{} configured)",
                    paths.config_file.display(),
                    cfg.servers.len(),
                    if cfg.servers.len() == 1 { "" } else { "s" }
                );
                let missing = missing_commands(&cfg, std::env::var_os("PATH").as_deref());
                for (server, command) in &missing {
                    eprintln!(
                        "warning: servers.{server}: command {command:?} is not on PATH; starting it will fail (install it, or give its full path)"
                    );
                }
            } else {
                println!(
                    "{}: no such file; the built-in defaults apply (`mcpd init` writes a commented one)",
                    paths.config_file.display()
                );
            }
            Ok(0)
        }
        ConfigCommand::Path { json } => {
            if json {
                let v = serde_json::json!({
                    "config": paths.config_file,
                    "config_exists": paths.config_file.exists(),
                    "state_dir": paths.state_dir,
                    "runtime_dir": paths.runtime_dir,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "config   {}{}",
                    paths.config_file.display(),
                    if paths.config_file.exists() {
                        ""
                    } else {
                        "  (not present: defaults apply)"
                    }
                );
                println!("state    {}", paths.state_dir.display());
                println!("runtime  {}", paths.runtime_dir.display());
            }
            Ok(0)
        }
    }
}

/// Servers whose command cannot be found: not an absolute or relative path that exists, and no
/// executable of that name on `path`. A command holding `${VAR}` is left to the daemon's environment.
pub fn missing_commands(cfg: &Config, path: Option<&std::ffi::OsStr>) -> Vec<(String, String)> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    cfg.servers
        .iter()
        .filter(|(_, s)| !s.command.contains("${") && !s.command.starts_with('~'))
        .filter(|(_, s)| {
            if s.command.contains('/') {
                return !executable(std::path::Path::new(&s.command));
            }
            !path.is_some_and(|p| std::env::split_paths(p).any(|d| executable(&d.join(&s.command))))
        })
        .map(|(n, s)| (n.clone(), s.command.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_not_on_path_are_named() {
        let cfg = crate::config::Config::parse(
            "[servers.a]\ncommand = \"sh\"\n[servers.b]\ncommand = \"no-such-mcp-binary\"\n[servers.c]\ncommand = \"/bin/sh\"\n[servers.d]\ncommand = \"${HOME}/x\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let path = std::ffi::OsString::from("/usr/bin:/bin");
        let missing = super::missing_commands(&cfg, Some(&path));
        assert_eq!(
            missing,
            [("b".to_string(), "no-such-mcp-binary".to_string())]
        );
    }
}
