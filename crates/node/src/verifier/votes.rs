//! The member's ballot box: the HTTP API committee members post their signed votes to.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /v1/votes` | a [`Vote`] (JSON) | 202, or an error status with a reason |
//! | `GET /v1/votes/{faultVerifier}/{challengeId}` | — | the votes held for that review (JSON list) |
//! | `GET /v1/member` | — | this member's address |
//!
//! A vote is recorded only if its signature recovers to its `signer` under the committee's domain,
//! the signer is a member on chain, and its receipt digest is the review's. 409 means the review is
//! not on chain yet (the sender retries).

use std::future::Future;
use std::sync::Arc;

use alloy::primitives::{Address, B256, Bytes, U256};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Member;

/// Where votes are posted.
pub const VOTES_PATH: &str = "/v1/votes";

/// One member's signed verdict on one review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    /// The FaultVerifier that opened the challenge.
    pub fault_verifier: Address,
    /// The challenge id.
    pub challenge_id: U256,
    /// The challenged receipt's digest.
    pub receipt_digest: B256,
    /// The member's verdict.
    pub fault: bool,
    /// The member.
    pub signer: Address,
    /// Its 65-byte signature of the `CommitteeVerdict` digest.
    pub signature: Bytes,
}

/// Why a vote was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum VoteRejected {
    /// The signature doesn't recover to the signer.
    #[error("the signature does not recover to the signer")]
    BadSignature,
    /// The signer isn't a committee member.
    #[error("{0} is not a committee member")]
    NotMember(Address),
    /// No review with this id is on chain (yet).
    #[error("no such review on chain (yet)")]
    UnknownReview,
    /// The vote names another receipt than the review.
    #[error("the vote's receipt digest is not the review's")]
    WrongDigest,
    /// The chain could not be read.
    #[error("chain unavailable: {0}")]
    Unavailable(String),
}

impl VoteRejected {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadSignature | Self::WrongDigest => StatusCode::BAD_REQUEST,
            Self::NotMember(_) => StatusCode::FORBIDDEN,
            Self::UnknownReview => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

async fn post_vote(State(member): State<Arc<Member>>, Json(vote): Json<Vote>) -> Response {
    match member.accept(vote).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

async fn get_votes(
    State(member): State<Arc<Member>>,
    Path((fv, id)): Path<(Address, U256)>,
) -> Json<Vec<Vote>> {
    Json(member.votes_for(fv, id))
}

async fn get_member(State(member): State<Arc<Member>>) -> Json<Address> {
    Json(member.address)
}

/// Serves the ballot box until `shutdown` resolves.
pub(crate) async fn serve(
    member: Arc<Member>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route(VOTES_PATH, axum::routing::post(post_vote))
        .route(
            &format!("{VOTES_PATH}/{{fault_verifier}}/{{challenge_id}}"),
            axum::routing::get(get_votes),
        )
        .route("/v1/member", axum::routing::get(get_member))
        .with_state(member);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
