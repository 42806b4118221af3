//! One goal of issue 11 and how a run fared against it: the measured value, the baseline it
//! was measured against in the same run, the ratio (or time) the goal bounds, met or missed.

/// What a goal asks of its figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The figure may be at most this (a ratio: lower is better).
    AtMost(f64),
    /// The figure must be at least this (a speed-up).
    AtLeast(f64),
    /// The figure must be below this (a time in seconds).
    Below(f64),
}

impl Limit {
    pub fn admits(self, figure: f64) -> bool {
        match self {
            Limit::AtMost(limit) => figure <= limit,
            Limit::AtLeast(limit) => figure >= limit,
            Limit::Below(limit) => figure < limit,
        }
    }

    /// The goal as written in the issue, e.g. `<= 1.3x` or `< 60 s`.
    pub fn show(self, unit: Unit) -> String {
        let (op, value) = match self {
            Limit::AtMost(v) => ("<=", v),
            Limit::AtLeast(v) => (">=", v),
            Limit::Below(v) => ("<", v),
        };
        match unit {
            Unit::Ratio => format!("{op} {}x", trim(value)),
            Unit::Seconds => format!("{op} {} s", trim(value)),
        }
    }
}

/// What the figure of a goal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Ratio,
    Seconds,
}

/// Met, missed, or not measurable yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    /// Why there is no figure (e.g. "pending issue 8", "not run: pass --builds").
    Pending(String),
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Short name of the goal, e.g. "Decode, Billomat".
    pub goal: String,
    /// The measured value in words, e.g. "41.2 ms CPU (lenient)".
    pub measured: String,
    /// The baseline it is compared with, e.g. "33.0 ms CPU (plain derive)"; empty for absolute
    /// goals.
    pub baseline: String,
    /// The ratio or time the limit applies to; `None` when pending.
    pub figure: Option<f64>,
    pub unit: Unit,
    pub limit: Limit,
    pub status: Status,
}

impl Outcome {
    /// An outcome whose status follows from its figure.
    pub fn judged(
        goal: impl Into<String>,
        measured: String,
        baseline: String,
        figure: f64,
        unit: Unit,
        limit: Limit,
    ) -> Outcome {
        Outcome {
            goal: goal.into(),
            measured,
            baseline,
            figure: Some(figure),
            unit,
            status: if limit.admits(figure) {
                Status::Met
            } else {
                Status::Missed
            },
            limit,
        }
    }

    /// A goal without a figure in this run.
    pub fn pending(goal: impl Into<String>, unit: Unit, limit: Limit, why: &str) -> Outcome {
        Outcome {
            goal: goal.into(),
            measured: String::new(),
            baseline: String::new(),
            figure: None,
            unit,
            limit,
            status: Status::Pending(why.to_owned()),
        }
    }

    /// The figure as shown in the table (`1.23x`, `4.56 s`, or `-`).
    pub fn figure_text(&self) -> String {
        match (self.figure, self.unit) {
            (None, _) => "-".to_owned(),
            (Some(f), Unit::Ratio) => format!("{f:.2}x"),
            (Some(f), Unit::Seconds) => format!("{f:.2} s"),
        }
    }

    pub fn status_text(&self) -> String {
        match &self.status {
            Status::Met => "met".to_owned(),
            Status::Missed => "**missed**".to_owned(),
            Status::Pending(why) => why.clone(),
        }
    }
}

/// `1.3` as `1.3`, `4.0` as `4`.
fn trim(value: f64) -> String {
    let text = format!("{value}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(Limit::AtMost(1.3).admits(1.3));
        assert!(!Limit::AtMost(1.3).admits(1.31));
        assert!(Limit::AtLeast(4.0).admits(4.0));
        assert!(!Limit::Below(3.0).admits(3.0));
        assert_eq!(Limit::AtMost(1.1).show(Unit::Ratio), "<= 1.1x");
        assert_eq!(Limit::AtLeast(4.0).show(Unit::Ratio), ">= 4x");
        assert_eq!(Limit::Below(60.0).show(Unit::Seconds), "< 60 s");
    }

    #[test]
    fn judged_outcomes() {
        let o = Outcome::judged(
            "g",
            "a".into(),
            "b".into(),
            2.29,
            Unit::Ratio,
            Limit::AtMost(1.1),
        );
        assert_eq!(o.status, Status::Missed);
        assert_eq!(o.figure_text(), "2.29x");
        assert_eq!(o.status_text(), "**missed**");
        let p = Outcome::pending("g", Unit::Seconds, Limit::Below(60.0), "pending issue 8");
        assert_eq!(
            (p.figure_text(), p.status_text()),
            ("-".into(), "pending issue 8".into())
        );
    }
}
