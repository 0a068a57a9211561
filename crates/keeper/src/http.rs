//! The local HTTP API: what a standalone keeper offers the orchestrator process (or a broadcaster
//! talking to it directly), and Prometheus metrics.
//!
//! - `GET /params/{sender}` → [`crate::TicketParams`] as JSON.
//! - `POST /tickets` with `{"ticket": "0x<257 bytes>", "seed": "0x<32 bytes>"}` → `200` and
//!   [`crate::Ack`], or `4xx` and `{"error": <kind>, "message": <text>}`.
//! - `GET /status` → counts per state and pending value per sender (JSON).
//! - `GET /metrics` → Prometheus text.

use crate::keeper::{Keeper, ParamsError, Rejection, Submission};
use alloy::primitives::{Address, B256, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// The body of `POST /tickets`.
#[derive(Debug, serde::Deserialize)]
struct TicketBody {
    ticket: Bytes,
    seed: B256,
}

fn error(status: StatusCode, kind: &str, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": kind, "message": message })),
    )
        .into_response()
}

/// A short machine-readable name for each refusal.
pub fn rejection_kind(r: &Rejection) -> String {
    match r {
        Rejection::Malformed(_) => "MalformedTicket".into(),
        Rejection::Contract(c) => {
            // The contract error's name, e.g. `TicketExpired`.
            let dbg = format!("{:?}", c.error());
            dbg.split('(').next().unwrap_or("Contract").to_string()
        }
        Rejection::RandRevealed(_) => "RecipientRandRetired".into(),
        Rejection::NonceReplayed { .. } => "NonceReplayed".into(),
        Rejection::Duplicate(_) => "DuplicateTicket".into(),
        Rejection::SenderUnlocking { .. } => "SenderUnlocking".into(),
        Rejection::LowPMBalance { .. } => "LowPMBalance".into(),
        Rejection::NotSynced => "NotSynced".into(),
        Rejection::Storage(_) => "StorageFailure".into(),
    }
}

async fn submit(State(k): State<Keeper>, body: axum::body::Bytes) -> Response {
    let body: TicketBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "MalformedBody", e.to_string()),
    };
    let sub = Submission {
        packed: body.ticket.to_vec(),
        seed: body.seed,
    };
    match k.submit(&sub).await {
        Ok(ack) => Json(ack).into_response(),
        Err(r) => {
            let status = match r {
                Rejection::NotSynced | Rejection::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
                Rejection::LowPMBalance { .. } | Rejection::SenderUnlocking { .. } => {
                    StatusCode::PAYMENT_REQUIRED
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            error(status, &rejection_kind(&r), r.to_string())
        }
    }
}

async fn params(State(k): State<Keeper>, Path(sender): Path<Address>) -> Response {
    match k.params_for(sender).await {
        Ok(p) => Json(p).into_response(),
        Err(e) => {
            let (status, kind) = match e {
                ParamsError::LowPMBalance(_) => (StatusCode::PAYMENT_REQUIRED, "LowPMBalance"),
                ParamsError::SenderUnlocking(_) => {
                    (StatusCode::PAYMENT_REQUIRED, "SenderUnlocking")
                }
                _ => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable"),
            };
            error(status, kind, e.to_string())
        }
    }
}

async fn status(State(k): State<Keeper>) -> Response {
    match k.with_store(|s| s.summary()) {
        Ok(s) => Json(serde_json::json!({
            "states": s.by_state.iter().map(|(st, n, v)| serde_json::json!({
                "state": st.as_str(), "count": n, "faceValueWei": v.to_string()
            })).collect::<Vec<_>>(),
            "pendingBySender": s.pending_by_sender.iter().map(|(a, n, v)| serde_json::json!({
                "sender": a, "count": n, "faceValueWei": v.to_string(),
                "exposureWei": k.exposure(*a).map(|x| x.to_string()),
            })).collect::<Vec<_>>(),
            "gasSpentWei": s.gas_cost.to_string(),
        }))
        .into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "Storage", e.to_string()),
    }
}

async fn metrics(State(k): State<Keeper>) -> Response {
    let summary = k.with_store(|s| s.summary()).unwrap_or_default();
    let exposures: Vec<(Address, u128)> = summary
        .pending_by_sender
        .iter()
        .filter_map(|(a, _, _)| {
            k.exposure(*a)
                .map(|x| (*a, u128::try_from(x).unwrap_or(u128::MAX)))
        })
        .collect();
    (
        [("content-type", "text/plain; version=0.0.4")],
        k.metrics().render(&summary, &exposures),
    )
        .into_response()
}

/// The API's routes over `keeper`.
pub fn router(keeper: Keeper) -> Router {
    Router::new()
        .route("/tickets", post(submit))
        .route("/params/{sender}", get(params))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .with_state(keeper)
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    keeper: Keeper,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(keeper))
        .with_graceful_shutdown(shutdown)
        .await
}
