//! The stateful harness over the real contracts: no property breaks in a short run, and a
//! sequence replays deterministically.

use std::time::Duration;

use streamflow_fuzz::{
    harness::Action,
    machine::{RunConfig, replay, run},
};

#[test]
fn the_contracts_keep_every_property_in_a_short_run() {
    let summary = run(&RunConfig {
        budget: Duration::from_secs(20),
        max_cases: 24,
        max_steps: 48,
        ..RunConfig::default()
    });
    eprintln!("{summary}");
    if let Some(f) = &summary.failure {
        panic!("step {} of {:#?}: {}", f.step, f.actions, f.violation);
    }
    assert!(summary.counters.steps > 0);
    assert!(summary.counters.checks > summary.counters.steps);
}

#[test]
fn a_sequence_of_every_kind_of_action_keeps_the_model_equal_to_the_contracts() {
    let actions = vec![
        Action::Fund {
            sender: 0,
            deposit_milli: 500,
            reserve_milli: 1000,
        },
        Action::FundFor {
            funder: 1,
            sender: 2,
            deposit_milli: 10,
            reserve_milli: 0,
        },
        Action::Bond {
            who: 3,
            to: 0,
            lpt: 1500,
        },
        Action::BondFor {
            payer: 4,
            owner: 3,
            lpt: 10,
        },
        Action::NextRound,
        Action::Reward { orch: 0 },
        Action::Unbond { who: 3, pct: 50 },
        Action::Claim { who: 3 },
        Action::OpenChallenge {
            orch: 1,
            challenger: 0,
            seq: 1,
        },
        Action::Verdict {
            pick: 0,
            fault: true,
        },
        Action::Resolve { pick: 0 },
        Action::ClaimCredit { who: 0 },
        Action::Unlock { sender: 1 },
        Action::NextRound,
        Action::NextRound,
        Action::NextRound,
        Action::Withdraw { sender: 1 },
        Action::Rebond { who: 3, pick: 0 },
        Action::SetMinActiveStake { lpt: 10 },
    ];
    let (h, failure) = replay(&actions);
    if let Some((step, v)) = failure {
        panic!("step {step} ({:?}): {v}", actions[step - 1]);
    }
    assert_eq!(
        h.counters.slashes, 1,
        "the committee's fault verdict slashes"
    );
    assert!(h.counters.succeeded >= 15, "{:?}", h.counters);
}
