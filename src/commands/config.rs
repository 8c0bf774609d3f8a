//! `mcpd config check` and `mcpd config path`.

use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::Config;
use crate::paths::Paths;

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
