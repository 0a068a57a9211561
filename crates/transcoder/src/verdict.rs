//! The verifier's verdict, which later feeds an on-chain challenge.

use serde::{Deserialize, Serialize};

use crate::verify::RenditionVerification;

/// Outcome of a verification; feeds an on-chain challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every check that ran passed.
    Pass,
    /// At least one check proved the rendition wrong.
    Fail {
        /// Why.
        reasons: Vec<String>,
    },
    /// Nothing proved wrong, but something looks off.
    Suspicious {
        /// Why.
        reasons: Vec<String>,
    },
}

impl Verdict {
    pub(crate) fn from_reasons(fail: Vec<String>, suspicious: Vec<String>) -> Self {
        if !fail.is_empty() {
            Self::Fail { reasons: fail }
        } else if !suspicious.is_empty() {
            Self::Suspicious {
                reasons: suspicious,
            }
        } else {
            Self::Pass
        }
    }

    /// Severity order: Pass < Suspicious < Fail.
    fn rank(&self) -> u8 {
        match self {
            Self::Pass => 0,
            Self::Suspicious { .. } => 1,
            Self::Fail { .. } => 2,
        }
    }

    /// Whether the verdict is [`Verdict::Pass`].
    pub fn is_pass(&self) -> bool {
        matches!(self, Self::Pass)
    }

    /// Whether the verdict is [`Verdict::Fail`].
    pub fn is_fail(&self) -> bool {
        matches!(self, Self::Fail { .. })
    }

    /// The reasons given, if any.
    pub fn reasons(&self) -> &[String] {
        match self {
            Self::Pass => &[],
            Self::Fail { reasons } | Self::Suspicious { reasons } => reasons,
        }
    }
}

/// Verdict of a whole segment: the worst of its renditions.
pub fn overall(results: &[RenditionVerification]) -> Verdict {
    let mut worst = Verdict::Pass;
    let mut reasons = Vec::new();
    for r in results {
        if r.verdict.rank() > worst.rank() {
            worst = r.verdict.clone();
            reasons.clear();
        }
        if r.verdict.rank() == worst.rank() {
            reasons.extend(
                r.verdict
                    .reasons()
                    .iter()
                    .map(|s| format!("{}: {s}", r.name)),
            );
        }
    }
    match worst {
        Verdict::Pass => Verdict::Pass,
        Verdict::Fail { .. } => Verdict::Fail { reasons },
        Verdict::Suspicious { .. } => Verdict::Suspicious { reasons },
    }
}
