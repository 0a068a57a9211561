//! Many view calls in one EVM transaction: the `ViewBatch` contract
//! (`contracts/test/utils/harness/ViewBatch.sol`), placed in the harness's state, static-calls each
//! and returns every answer. The comparison after each step asks some forty views; one transaction
//! instead of forty is most of the harness's speed.

use std::marker::PhantomData;

use alloy::{
    primitives::{Address, Bytes, U256},
    sol,
    sol_types::SolCall,
};

use crate::chain::Chain;

sol!(
    #[derive(Debug)]
    ViewBatch,
    "../../out/ViewBatch.sol/ViewBatch.json"
);

/// Where the batcher's code is placed (no deployment creates an account there).
pub const VIEW_BATCH: Address = Address::repeat_byte(0xba);

/// Places the batcher's runtime code at [`VIEW_BATCH`] (not a recorded operation: a replay does
/// not need it).
pub fn install(chain: &mut Chain) {
    chain.place_code(VIEW_BATCH, ViewBatch::DEPLOYED_BYTECODE.clone());
}

/// A view asked in a [`Batch`]: its position, typed by the call that reads its answer.
#[derive(Debug)]
pub struct Query<C> {
    index: usize,
    call: PhantomData<C>,
}

impl<C> Clone for Query<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Query<C> {}

/// Views to ask in one transaction, packed as the batcher reads them.
#[derive(Debug, Default)]
pub struct Batch {
    request: Vec<u8>,
    asked: usize,
}

impl Batch {
    /// An empty batch with room for about `n` views.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            request: Vec::with_capacity(n * 96),
            asked: 0,
        }
    }

    /// Adds the view `call` of `to`; its answer is read with the returned query.
    pub fn ask<C: SolCall>(&mut self, to: Address, call: &C) -> Query<C> {
        self.request.extend_from_slice(to.as_slice());
        let at = self.request.len();
        self.request.extend_from_slice(&[0, 0]);
        self.request.extend_from_slice(&C::SELECTOR);
        call.abi_encode_raw(&mut self.request);
        // Calldata of a view is a few words: far below the 2-byte length.
        let len = u16::try_from(self.request.len() - at - 2).unwrap_or(u16::MAX);
        self.request[at..at + 2].copy_from_slice(&len.to_be_bytes());
        self.asked += 1;
        Query {
            index: self.asked - 1,
            call: PhantomData,
        }
    }

    /// Views asked so far.
    pub fn len(&self) -> usize {
        self.asked
    }

    /// Whether no view was asked.
    pub fn is_empty(&self) -> bool {
        self.asked == 0
    }

    /// Asks every view in one transaction. A view that reverted has no answer (as when it is asked
    /// alone); if the batch itself failed, none has.
    pub fn run(self, chain: &mut Chain) -> Answers {
        let out = chain
            .call_raw(Address::ZERO, VIEW_BATCH, self.request.into(), U256::ZERO)
            .map(|(out, _, _)| out)
            .unwrap_or_default();
        let mut spans = Vec::with_capacity(self.asked);
        let mut at = 0usize;
        while let Some(word) = out.get(at..at + 32) {
            let len = U256::from_be_slice(word).saturating_to::<usize>();
            let start = at + 32;
            let end = start.saturating_add(len).min(out.len());
            spans.push(start..end);
            at = end;
        }
        Answers { out, spans }
    }
}

/// The answers of a [`Batch`].
#[derive(Debug)]
pub struct Answers {
    out: Bytes,
    spans: Vec<std::ops::Range<usize>>,
}

impl Answers {
    /// The decoded answer to `q`, or `None` if the view reverted or its answer did not decode.
    pub fn get<C: SolCall>(&self, q: Query<C>) -> Option<C::Return> {
        let span = self.spans.get(q.index)?.clone();
        C::abi_decode_returns(self.out.get(span)?).ok()
    }
}
