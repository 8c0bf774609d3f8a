//! `mcpd config check` and `mcpd config path`.

use anyhow::Context;

use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::Config;
use crate::paths::Paths;

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
    let tmp = path.with_extension("toml.partial");
    std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
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
