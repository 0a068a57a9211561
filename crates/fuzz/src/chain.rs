//! An in-process chain: revm over an in-memory [`CacheDB`], with block control, typed calls through
//! the `sol!` types and snapshot/restore of the whole state.

use alloy::{
    primitives::{Address, B256, Bytes, Log, TxKind, U256},
    sol_types::{SolCall, SolError, SolInterface},
};
use revm::{
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, MainnetEvm,
    context::{BlockEnv, CfgEnv, Journal, TxEnv, result::ExecutionResult},
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
};

/// The state the EVM runs on.
pub type Db = CacheDB<EmptyDB>;

type Ctx = Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>;

/// Gas limit of every transaction the harness sends (a block's worth, as forge's default).
pub const TX_GAS_LIMIT: u64 = 30_000_000;

/// Gas limit of the one creation that deploys the whole protocol from a deployer contract (see
/// [`Chain::deployer_mode`]): every contract's deployment in one constructor is far above a block.
pub const DEPLOYER_GAS_LIMIT: u64 = 1_000_000_000;

/// Chain id of the in-process chain (anvil's, so signatures made for a local node match).
pub const CHAIN_ID: u64 = 31_337;

/// Errors of the in-process chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// revm refused the transaction itself (not a revert: a malformed transaction or environment).
    #[error("revm rejected the transaction: {0}")]
    Evm(String),
    /// The call reverted; the revert data is kept for decoding.
    #[error("reverted: {}", describe_revert(.0))]
    Reverted(Bytes),
    /// The call halted (out of gas, invalid opcode, ...).
    #[error("halted: {0}")]
    Halted(String),
    /// The call succeeded but its return data did not decode as the declared type.
    #[error("undecodable return data: {0}")]
    Decode(#[from] alloy::sol_types::Error),
    /// A creation transaction returned no address.
    #[error("creation returned no address")]
    NoAddress,
}

impl ChainError {
    /// The revert data when the call reverted.
    pub fn revert_data(&self) -> Option<&Bytes> {
        match self {
            Self::Reverted(data) => Some(data),
            _ => None,
        }
    }

    /// The 4-byte selector of the revert reason, when there is one.
    pub fn selector(&self) -> Option<[u8; 4]> {
        let data = self.revert_data()?;
        data.get(..4).and_then(|s| s.try_into().ok())
    }

    /// Decodes the revert data as one of the errors of `E` (a `sol!`-generated errors enum).
    pub fn decode<E: SolInterface>(&self) -> Option<E> {
        E::abi_decode(self.revert_data()?).ok()
    }

    /// Whether the call reverted with exactly the error `e` (selector and arguments).
    pub fn is<E: SolError>(&self, e: &E) -> bool {
        self.revert_data()
            .is_some_and(|d| d.as_ref() == e.abi_encode().as_slice())
    }
}

/// A readable form of revert data: the selector and the length of its arguments.
pub fn describe_revert(data: &Bytes) -> String {
    match data.get(..4) {
        Some(sel) => format!("0x{} (+{} bytes)", alloy::hex::encode(sel), data.len() - 4),
        None => format!("0x{} (no selector)", alloy::hex::encode(data)),
    }
}

/// Result alias of the chain.
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

/// What a successful state-changing call returned.
#[derive(Debug, Clone)]
pub struct Receipt<T> {
    /// The decoded return value.
    pub ret: T,
    /// The logs it emitted.
    pub logs: Vec<Log>,
    /// Gas it used.
    pub gas_used: u64,
}

/// A saved state: restore it with [`Chain::restore`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    db: Db,
    block: BlockEnv,
    journal: Option<Vec<Op>>,
}

/// One state-changing operation, as recorded for replay (e.g. as a forge test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// The ETH balance of an account was set.
    Deal {
        /// The account.
        who: Address,
        /// Its new balance.
        balance: U256,
    },
    /// The chain moved to a block (timestamp 12 s per block).
    Block(u64),
    /// A contract was created.
    Create {
        /// Sender.
        from: Address,
        /// Creation code and constructor arguments.
        init_code: Bytes,
    },
    /// A call was sent.
    Call {
        /// Sender.
        from: Address,
        /// Target.
        to: Address,
        /// Calldata.
        data: Bytes,
        /// Wei sent.
        value: U256,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// An in-process EVM (Cancun, as `foundry.toml` compiles for) with a controllable block.
pub struct Chain {
    evm: MainnetEvm<Ctx>,
    journal: Option<Vec<Op>>,
    tx_gas_limit: u64,
    transactions: u64,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("block", &self.block_number())
            .finish_non_exhaustive()
    }
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// An empty chain at block 1, timestamp 1, with zero base fee (gas costs no ETH, so ETH
    /// balances move only by value transfers).
    pub fn new() -> Self {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = CHAIN_ID;
        cfg.disable_nonce_check = true;
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1),
            gas_limit: u64::MAX,
            basefee: 0,
            ..BlockEnv::default()
        };
        let evm = Context::mainnet()
            .with_db(Db::new(EmptyDB::new()))
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        Self {
            evm,
            journal: None,
            tx_gas_limit: TX_GAS_LIMIT,
            transactions: 0,
        }
    }

    /// Starts (or stops) recording every state-changing operation; see [`Chain::journal`].
    pub fn record(&mut self, on: bool) {
        self.journal = on.then(Vec::new);
    }

    /// The operations recorded since [`Chain::record`] (carried through snapshots).
    pub fn journal(&self) -> &[Op] {
        self.journal.as_deref().unwrap_or_default()
    }

    fn log(&mut self, op: Op) {
        if let Some(j) = self.journal.as_mut() {
            j.push(op);
        }
    }

    /// Lifts (or restores) the EIP-170/EIP-3860 code-size limits and the per-transaction gas limit
    /// ([`DEPLOYER_GAS_LIMIT`] instead of [`TX_GAS_LIMIT`]), for deploying a deployer contract whose
    /// creation code embeds every contract's and deploys them all in its constructor.
    pub fn deployer_mode(&mut self, on: bool) {
        let limit = on.then_some(usize::MAX);
        self.evm.ctx.cfg.limit_contract_code_size = limit;
        self.evm.ctx.cfg.limit_contract_initcode_size = limit;
        self.tx_gas_limit = if on { DEPLOYER_GAS_LIMIT } else { TX_GAS_LIMIT };
    }

    /// Saves the whole state and block.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.evm.ctx.journaled_state.database.clone(),
            block: self.evm.ctx.block.clone(),
            journal: self.journal.clone(),
        }
    }

    /// Returns to a saved state.
    pub fn restore(&mut self, s: &Snapshot) {
        self.evm.ctx.journaled_state.database = s.db.clone();
        self.evm.ctx.block = s.block.clone();
        self.journal.clone_from(&s.journal);
    }

    /// The current block number.
    pub fn block_number(&self) -> u64 {
        self.evm.ctx.block.number.saturating_to()
    }

    /// Moves to block `number` (any direction; the timestamp follows at 12 s per block).
    pub fn set_block(&mut self, number: u64) {
        self.evm.ctx.block.number = U256::from(number);
        self.evm.ctx.block.timestamp = U256::from(number.saturating_mul(12));
        self.log(Op::Block(number));
    }

    /// Advances `n` blocks.
    pub fn roll(&mut self, n: u64) {
        self.set_block(self.block_number().saturating_add(n));
    }

    /// The hash `BLOCKHASH(number)` returns on this chain (for a block within the last 256).
    pub fn block_hash(&self, number: u64) -> B256 {
        use revm::DatabaseRef;
        self.evm
            .ctx
            .journaled_state
            .database
            .block_hash_ref(number)
            .unwrap_or_default()
    }

    /// The ETH balance of `who`.
    pub fn balance(&self, who: Address) -> U256 {
        use revm::DatabaseRef;
        self.evm
            .ctx
            .journaled_state
            .database
            .basic_ref(who)
            .ok()
            .flatten()
            .map(|a| a.balance)
            .unwrap_or_default()
    }

    /// Sets the ETH balance of `who` (a faucet: only for setting up actors).
    pub fn set_balance(&mut self, who: Address, balance: U256) {
        self.log(Op::Deal { who, balance });
        use revm::DatabaseRef;
        let db = &mut self.evm.ctx.journaled_state.database;
        let mut info = db.basic_ref(who).ok().flatten().unwrap_or_default();
        info.balance = balance;
        db.insert_account_info(who, info);
    }

    /// EVM transactions run on this chain so far (sent, created or only called).
    pub fn transactions(&self) -> u64 {
        self.transactions
    }

    /// Places runtime `code` at `at` without a transaction and without recording it: for helpers of
    /// the harness itself (e.g. the view batcher), which nothing replayed depends on.
    pub fn place_code(&mut self, at: Address, code: Bytes) {
        use revm::DatabaseRef;
        let db = &mut self.evm.ctx.journaled_state.database;
        let info = db
            .basic_ref(at)
            .ok()
            .flatten()
            .unwrap_or_default()
            .with_code(revm::bytecode::Bytecode::new_raw(code));
        db.insert_account_info(at, info);
    }

    fn tx(&mut self, from: Address, kind: TxKind, data: Bytes, value: U256) -> TxEnv {
        self.transactions += 1;
        TxEnv {
            caller: from,
            kind,
            data,
            value,
            gas_limit: self.tx_gas_limit,
            gas_price: 0,
            chain_id: Some(CHAIN_ID),
            ..TxEnv::default()
        }
    }

    fn outcome(result: ExecutionResult) -> Result<(Bytes, Vec<Log>, u64)> {
        match result {
            ExecutionResult::Success {
                output, logs, gas, ..
            } => Ok((output.into_data(), logs, gas.tx_gas_used())),
            ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted(output)),
            ExecutionResult::Halt { reason, .. } => Err(ChainError::Halted(format!("{reason:?}"))),
        }
    }

    /// Sends a transaction with raw calldata and commits its effects when it succeeds.
    pub fn transact_raw(
        &mut self,
        from: Address,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<(Bytes, Vec<Log>, u64)> {
        let tx = self.tx(from, TxKind::Call(to), data.clone(), value);
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| ChainError::Evm(format!("{e:?}")))?;
        let out = Self::outcome(result);
        self.log(Op::Call {
            from,
            to,
            data,
            value,
            ok: out.is_ok(),
        });
        out
    }

    /// Runs a call without committing anything (a view, or a dry run of a state change).
    pub fn call_raw(
        &mut self,
        from: Address,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<(Bytes, Vec<Log>, u64)> {
        let tx = self.tx(from, TxKind::Call(to), data, value);
        let result = self
            .evm
            .transact(tx)
            .map_err(|e| ChainError::Evm(format!("{e:?}")))?;
        Self::outcome(result.result)
    }

    /// Deploys `init_code` (creation code followed by the ABI-encoded constructor arguments).
    pub fn create(&mut self, from: Address, init_code: Bytes) -> Result<Address> {
        self.log(Op::Create {
            from,
            init_code: init_code.clone(),
        });
        let tx = self.tx(from, TxKind::Create, init_code, U256::ZERO);
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| ChainError::Evm(format!("{e:?}")))?;
        match result {
            ExecutionResult::Success {
                output: revm::context::result::Output::Create(_, Some(addr)),
                ..
            } => Ok(addr),
            other => Self::outcome(other).and(Err(ChainError::NoAddress)),
        }
    }

    /// Sends `call` from `from` to `to` with `value` wei; commits when it succeeds.
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Receipt<C::Return>> {
        let (out, logs, gas_used) = self.transact_raw(from, to, call.abi_encode().into(), value)?;
        Ok(Receipt {
            ret: C::abi_decode_returns(&out)?,
            logs,
            gas_used,
        })
    }

    /// Calls a view (or dry-runs a state change) without committing.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return> {
        let (out, _, _) = self.call_raw(Address::ZERO, to, call.abi_encode().into(), U256::ZERO)?;
        Ok(C::abi_decode_returns(&out)?)
    }

    /// Dry-runs `call` from `from`, returning the outcome without committing.
    pub fn simulate<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<C::Return> {
        let (out, _, _) = self.call_raw(from, to, call.abi_encode().into(), value)?;
        Ok(C::abi_decode_returns(&out)?)
    }
}
