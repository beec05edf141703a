use anyhow::{Result, bail};

use super::json;
use crate::cli::DoctorArgs;
use crate::error::Failure;
use crate::output;
use crate::session::{self, Workspace};

pub fn run(args: DoctorArgs) -> Result<()> {
    let ws = Workspace::discover(super::TERMINAL)?;
    let report = session::doctor(&ws, args.fix)?;
    super::remember(&ws);
    if args.json {
        output::print_json(&json::Doctor::new(&report))?;
    } else {
        for fixed in &report.fixed {
            output::note(format!("fixed: {}: {}", fixed.problem, fixed.done));
        }
        for failed in &report.failed {
            output::warn(format!("could not fix: {failed}"));
        }
        for f in &report.findings {
            println!("{}; fix: `{}`", f.problem, f.fix);
        }
    }
    if report.healthy() {
        if !args.json {
            output::note("No problems found.");
        }
        return Ok(());
    }
    let count = report.findings.len();
    let mut failure = Failure::error(format!("{count} problem(s) remain"));
    if !args.fix && report.findings.iter().any(|f| f.fixable) {
        failure = failure.with_hint("`sessions doctor --fix` repairs what is safe to repair");
    }
    bail!(failure)
}
