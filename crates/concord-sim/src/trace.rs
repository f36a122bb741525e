use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

/// One gossip round of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TracePoint {
    /// Gossip round since the start of the run (the operation phase and the convergence phase
    /// after the heal both count).
    pub round: u64,
    /// Writes made anywhere that replicas up still lack, summed over the replicas (0 once
    /// every replica holds every write). For the article's scheme, which cannot say what
    /// writes it holds: the keys at which a replica holds another value than the one with the
    /// greatest version, summed over the replicas.
    pub missing: u64,
    /// Bytes shipped so far in this run (cumulative), state and metadata together.
    pub bytes: u64,
    /// Reads waiting for a replica that can serve them, at the end of the round.
    pub reads_waiting: u32,
    /// Whether the round is after the heal (operations over, partitions healed).
    pub healed: bool,
}

/// The rounds of one run, labelled by its mode's name ("seed", "full", "delta", "sync").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The run's sync mode, as it names the run's columns and its line in a plot.
    pub mode: String,
    /// One point per gossip round, in round order.
    pub points: Vec<TracePoint>,
}

/// Writes one CSV row per round with one column group per run.
///
/// The header is `round,<mode>_missing,<mode>_bytes,<mode>_reads_waiting,...` for each
/// trace in order, plus a final `healed` column, `true` once any trace's point at that round
/// is healed. There is one row per round that any trace has, in ascending order; a run that
/// has no point at a round (a shorter run, after its last round) leaves its cells empty. A
/// mode name holding a comma, a quote or a line break is quoted as RFC 4180 says.
///
/// # Errors
///
/// Any error of `out`.
pub fn write_csv<W: Write>(mut out: W, traces: &[Trace]) -> io::Result<()> {
    let mut line = String::from("round");
    for trace in traces {
        for column in ["missing", "bytes", "reads_waiting"] {
            line.push(',');
            push_field(&mut line, &format!("{}_{column}", trace.mode));
        }
    }
    line.push_str(",healed\n");
    out.write_all(line.as_bytes())?;

    let by_round: Vec<BTreeMap<u64, &TracePoint>> = traces
        .iter()
        .map(|trace| trace.points.iter().map(|p| (p.round, p)).collect())
        .collect();
    let rounds: BTreeSet<u64> = by_round.iter().flat_map(|m| m.keys().copied()).collect();
    for round in rounds {
        line.clear();
        let mut healed = false;
        // Writing into a String cannot fail.
        let _ = write!(line, "{round}");
        for points in &by_round {
            match points.get(&round) {
                Some(p) => {
                    healed |= p.healed;
                    let _ = write!(line, ",{},{},{}", p.missing, p.bytes, p.reads_waiting);
                }
                None => line.push_str(",,,"),
            }
        }
        let _ = writeln!(line, ",{healed}");
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends `field` to a CSV line, quoted if it holds a separator, a quote or a line break.
fn push_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(round: u64, missing: u64, bytes: u64, reads_waiting: u32, healed: bool) -> TracePoint {
        TracePoint {
            round,
            missing,
            bytes,
            reads_waiting,
            healed,
        }
    }

    fn csv(traces: &[Trace]) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, traces).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn two_runs_of_different_lengths() {
        let traces = [
            Trace {
                mode: "full".into(),
                points: vec![
                    point(0, 3, 0, 1, false),
                    point(1, 2, 640, 0, false),
                    point(2, 0, 1280, 0, true),
                ],
            },
            Trace {
                mode: "delta".into(),
                points: vec![point(0, 3, 0, 2, false), point(1, 1, 96, 0, true)],
            },
        ];
        assert_eq!(
            csv(&traces),
            "round,full_missing,full_bytes,full_reads_waiting,\
             delta_missing,delta_bytes,delta_reads_waiting,healed\n\
             0,3,0,1,3,0,2,false\n\
             1,2,640,0,1,96,0,true\n\
             2,0,1280,0,,,,true\n"
        );
    }

    #[test]
    fn healed_once_any_run_is() {
        let traces = [
            Trace {
                mode: "seed".into(),
                points: vec![point(0, 1, 10, 0, false)],
            },
            Trace {
                mode: "sync".into(),
                points: vec![point(0, 0, 20, 0, true)],
            },
        ];
        assert!(csv(&traces).ends_with("\n0,1,10,0,0,20,0,true\n"));
    }

    #[test]
    fn no_runs_and_empty_runs() {
        assert_eq!(csv(&[]), "round,healed\n");
        let empty = [Trace {
            mode: "seed".into(),
            points: Vec::new(),
        }];
        assert_eq!(
            csv(&empty),
            "round,seed_missing,seed_bytes,seed_reads_waiting,healed\n"
        );
    }

    #[test]
    fn awkward_mode_names_are_quoted() {
        let traces = [Trace {
            mode: "a,\"b\"".into(),
            points: vec![point(4, 0, 0, 0, false)],
        }];
        assert_eq!(
            csv(&traces),
            "round,\"a,\"\"b\"\"_missing\",\"a,\"\"b\"\"_bytes\",\
             \"a,\"\"b\"\"_reads_waiting\",healed\n4,0,0,0,false\n"
        );
    }
}
