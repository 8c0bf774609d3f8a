//! `mcpd events`: the journal of what mcpd stopped on its own, and why.

use crate::cli::EventsArgs;
use crate::output::{Style, table, truncate};
use crate::units::human_bytes;
use crate::world::Env;

pub fn run(env: Env, a: &EventsArgs, style: Style) -> anyhow::Result<i32> {
    let (events, bad) = crate::journal::read(&env.paths.state_dir, a.limit).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {e}",
            crate::journal::path(&env.paths.state_dir).display()
        )
    })?;
    if bad > 0 {
        eprintln!("warning: {bad} unreadable line(s) in the journal were skipped");
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&events)?);
        return Ok(0);
    }
    if events.is_empty() {
        println!("mcpd has stopped nothing on its own yet.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                utc(e.t),
                e.actor.clone(),
                e.pid.to_string(),
                human_bytes(e.rss_bytes),
                e.ending.clone(),
                truncate(&e.command, 40),
                e.reason.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["WHEN", "BY", "PID", "RSS", "ENDING", "COMMAND", "WHY"],
            &rows
        )
    );
    println!("{}", style.dim(&format!("{} event(s)", events.len())));
    Ok(0)
}

/// `2026-11-27 15:30:01Z` from seconds since the epoch (civil-from-days, proleptic Gregorian).
fn utc(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(super::utc(1_795_790_001), "2026-11-27 14:33:21Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00Z");
    }
}
