//! The view batcher answers exactly what each view answers when asked alone, in order, and a view
//! that reverts has no answer without disturbing the answers around it.

use alloy::primitives::{Address, U256};
use streamflow_bindings::contracts::{
    BondingManager, LivepeerToken, TicketBroker, fault_verifier::FaultVerifier,
};
use streamflow_fuzz::{batch::Batch, world::World};

#[test]
fn a_batch_answers_what_each_view_answers_alone() {
    let world = World::build().expect("world");
    let mut chain = world.chain();
    let p = world.protocol;
    // A transfer from an account without LPT reverts with an error that carries data (a view asked
    // from the batcher, which holds none, reverts the same way), and its answer would decode.
    let reverting = LivepeerToken::transferCall {
        to: Address::repeat_byte(1),
        value: U256::from(1),
    };
    let revert_data = chain
        .view(p.token, &reverting)
        .expect_err("the zero address holds no LPT")
        .revert_data()
        .cloned()
        .expect("revert data");
    assert!(!revert_data.is_empty());

    let mut batch = Batch::default();
    let supply = batch.ask(p.token, &LivepeerToken::totalSupplyCall {});
    // A reverting view between answers of other sizes: the ones after it must still line up.
    let reverted = batch.ask(p.token, &reverting);
    let mut asked = Vec::new();
    for a in world.all_actors() {
        let balance = batch.ask(
            p.token,
            &LivepeerToken::balanceOfCall { account: a.address },
        );
        let funds = batch.ask(p.broker, &TicketBroker::getSenderCall { sender: a.address });
        let info = batch.ask(
            p.bonding_manager,
            &BondingManager::delegatorInfoCall {
                delegator: a.address,
            },
        );
        let again = batch.ask(p.token, &reverting);
        asked.push((a.address, balance, funds, info, again));
    }
    let pending = batch.ask(p.fault_verifier, &FaultVerifier::pendingBondsCall {});
    assert_eq!(batch.len(), 3 + 4 * asked.len());
    let answers = batch.run(&mut chain);

    assert_eq!(
        answers.get(supply),
        Some(
            chain
                .view(p.token, &LivepeerToken::totalSupplyCall {})
                .unwrap()
        )
    );
    assert!(answers.get(reverted).is_none());
    for (who, balance, funds, info, again) in asked {
        assert_eq!(
            answers.get(balance),
            Some(
                chain
                    .view(p.token, &LivepeerToken::balanceOfCall { account: who })
                    .unwrap()
            ),
            "LPT of {who}"
        );
        let alone = chain
            .view(p.broker, &TicketBroker::getSenderCall { sender: who })
            .unwrap();
        let batched = answers.get(funds).expect("funds answered");
        assert_eq!(
            (batched.deposit, batched.reserve, batched.withdrawRound),
            (alone.deposit, alone.reserve, alone.withdrawRound),
            "funds of {who}"
        );
        let alone = chain
            .view(
                p.bonding_manager,
                &BondingManager::delegatorInfoCall { delegator: who },
            )
            .unwrap();
        let batched = answers.get(info).expect("delegator info answered");
        assert_eq!(
            (batched.stake, batched.fees),
            (alone.stake, alone.fees),
            "delegator info of {who}"
        );
        assert!(answers.get(again).is_none());
    }
    assert_eq!(
        answers.get(pending),
        Some(
            chain
                .view(p.fault_verifier, &FaultVerifier::pendingBondsCall {})
                .unwrap()
        )
    );
}
