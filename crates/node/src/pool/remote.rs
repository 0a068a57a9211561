//! The orchestrator's side of the worker protocol: the `/v1/worker/*` routes.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::sync::Notify;

use super::protocol::{
    HEADER_RESULT, HEADER_TASK, RegisterAnswer, RegisterRequest, TaskHeader, TaskResult,
    secrets_equal,
};
use super::{Pool, Remote, Session, Speed};
use crate::wire::{ApiError, ErrorKind, content_hash, decode_header, encode_header};

/// The most slots one worker may announce.
const MAX_WORKER_SLOTS: u32 = 256;

fn refuse(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Response {
    (status, Json(ApiError::new(kind, message))).into_response()
}

/// A refused worker request (small, so results carrying it stay small).
struct Refusal(StatusCode, ErrorKind, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refuse(self.0, self.1, self.2)
    }
}

fn unauthorized(message: impl Into<String>) -> Refusal {
    Refusal(
        StatusCode::UNAUTHORIZED,
        ErrorKind::Unauthorized,
        message.into(),
    )
}

fn unknown_session() -> Refusal {
    Refusal(
        StatusCode::NOT_FOUND,
        ErrorKind::BadRequest,
        "unknown worker session: register again".into(),
    )
}

/// The owner of a body handed out to a worker: the job's segment, without a copy.
struct Segment(Arc<Vec<u8>>);

impl AsRef<[u8]> for Segment {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl Pool {
    /// The routes remote workers speak to (`/v1/worker/*`, see [`super::protocol`]), to mount on
    /// the orchestrator's HTTP server.
    pub fn worker_router(&self) -> Router {
        Router::new()
            .route("/v1/worker/register", post(register))
            .route("/v1/worker/{id}/heartbeat", post(heartbeat))
            .route("/v1/worker/{id}/poll", post(poll))
            .route("/v1/worker/{id}/result/{task}", post(result))
            .route("/v1/worker/{id}/leave", post(leave))
            .layer(DefaultBodyLimit::max(self.inner.opts.max_result_bytes))
            .with_state(self.clone())
    }

    /// The credential index the request's bearer secret belongs to.
    fn authenticate(&self, headers: &HeaderMap) -> Result<usize, Refusal> {
        let Some(secret) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Err(unauthorized("missing bearer secret"));
        };
        let Some(cred) = self
            .inner
            .opts
            .workers
            .iter()
            .position(|c| secrets_equal(&c.secret, secret.trim()))
        else {
            tracing::warn!(target: "pool", "worker request with a wrong secret refused");
            return Err(unauthorized("wrong secret"));
        };
        if self.inner.lock().banned.contains(&cred) {
            return Err(unauthorized(
                "this worker was dropped for returning bad output",
            ));
        }
        Ok(cred)
    }

    /// Authenticates a request on session `id` and marks the session alive.
    fn session(&self, headers: &HeaderMap, id: &str) -> Result<u64, Refusal> {
        let cred = self.authenticate(headers)?;
        let id = u64::from_str_radix(id, 16).map_err(|_| unknown_session())?;
        let mut st = self.inner.lock_live();
        match st.sessions.get_mut(&id) {
            Some(s) if s.cred == cred => {
                s.last_seen = Instant::now();
                Ok(id)
            }
            Some(_) => Err(unauthorized("this session belongs to another secret")),
            None => Err(unknown_session()),
        }
    }
}

async fn register(
    State(pool): State<Pool>,
    headers: HeaderMap,
    Json(req): Json<RegisterRequest>,
) -> Response {
    let cred = match pool.authenticate(&headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if req.slots == 0 || req.slots > MAX_WORKER_SLOTS {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorKind::BadRequest,
            format!("slots must be 1..={MAX_WORKER_SLOTS}"),
        );
    }
    let c = &pool.inner.opts.workers[cred];
    let mut st = pool.inner.lock_live();
    let mut id: u64 = rand::random();
    while id == 0 || st.sessions.contains_key(&id) {
        id = rand::random();
    }
    let label = format!("{}/{id:016x}", c.name);
    tracing::info!(target: "pool", worker = %label, announced = %req.name, slots = req.slots, trust = %c.trust, version = %req.node_version, "worker registered");
    st.sessions.insert(
        id,
        Session {
            cred,
            label,
            trust: c.trust,
            slots: req.slots,
            busy: 0,
            last_seen: Instant::now(),
            queue: VecDeque::new(),
            tasks: HashSet::new(),
            wake: Arc::new(Notify::new()),
            speed: Speed::default(),
        },
    );
    drop(st);
    pool.inner.changed.notify_waiters();
    let opts = &pool.inner.opts;
    Json(RegisterAnswer {
        worker_id: format!("{id:016x}"),
        trust: c.trust,
        heartbeat_ms: opts.heartbeat.as_millis() as u64,
        poll_wait_ms: opts.poll_wait.as_millis() as u64,
    })
    .into_response()
}

async fn heartbeat(
    State(pool): State<Pool>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match pool.session(&headers, &id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_response(),
    }
}

async fn leave(State(pool): State<Pool>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let id = match pool.session(&headers, &id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    pool.inner.lock().remove_session(id, "worker left");
    pool.inner.changed.notify_waiters();
    StatusCode::NO_CONTENT.into_response()
}

async fn poll(State(pool): State<Pool>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let id = match pool.session(&headers, &id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let deadline = tokio::time::Instant::now() + pool.inner.opts.poll_wait;
    loop {
        let wake = {
            let mut guard = pool.inner.lock();
            let st = &mut *guard;
            let Some(s) = st.sessions.get_mut(&id) else {
                return unknown_session().into_response();
            };
            s.last_seen = Instant::now();
            while let Some(task_id) = s.queue.pop_front() {
                let Some(task) = st.tasks.get(&task_id) else {
                    continue;
                };
                let head = TaskHeader {
                    task_id,
                    input_hash: content_hash(&task.job.segment),
                    profiles: task.job.profiles.clone(),
                };
                let body = Bytes::from_owner(Segment(task.job.segment.clone()));
                let label = s.label.clone();
                drop(guard);
                tracing::debug!(target: "pool", worker = %label, task = task_id, "segment handed out");
                return task_response(&head, body);
            }
            s.wake.clone()
        };
        let notified = wake.notified();
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(deadline) => return StatusCode::NO_CONTENT.into_response(),
        }
    }
}

fn task_response(head: &TaskHeader, body: Bytes) -> Response {
    let value = match encode_header(head)
        .ok()
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        Some(v) => v,
        None => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorKind::Internal,
                "task header",
            );
        }
    };
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(HEADER_TASK, value);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    r
}

async fn result(
    State(pool): State<Pool>,
    Path((id, task_id)): Path<(String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = match pool.session(&headers, &id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let outcome: TaskResult = match headers
        .get(HEADER_RESULT)
        .and_then(|v| v.to_str().ok())
        .map(decode_header)
    {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorKind::BadRequest,
                format!("{HEADER_RESULT}: {e}"),
            );
        }
        None => {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorKind::BadRequest,
                format!("missing {HEADER_RESULT} header"),
            );
        }
    };
    let reply = {
        let mut st = pool.inner.lock();
        match st.tasks.get_mut(&task_id) {
            Some(t) if t.session == id => t.reply.take(),
            _ => None,
        }
    };
    match reply {
        Some(reply) => {
            let _ = reply.send(Remote::Answer(outcome, body));
            StatusCode::NO_CONTENT.into_response()
        }
        None => refuse(
            StatusCode::GONE,
            ErrorKind::BadRequest,
            "this task is no longer yours (timed out or reassigned)",
        ),
    }
}
