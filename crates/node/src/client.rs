//! [`OrchestratorClient`]: the Rust client of an orchestrator's HTTP API ([`crate::wire`]), used by
//! the broadcaster role, the challenge flow and tests.
//!
//! Every refusal comes back as [`ClientError::Api`] carrying the orchestrator's [`ApiError`] (its
//! [`ErrorKind`] says what to do: fund the deposit, send more tickets, ask for a new quote, retry
//! later or elsewhere); transport problems are [`ClientError::Http`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), streamflow_node::client::ClientError> {
//! use streamflow_node::client::OrchestratorClient;
//! let o = OrchestratorClient::new("http://127.0.0.1:8935")?;
//! let info = o.info().await?;
//! println!("{} offers {} services", info.address, info.services.len());
//! # Ok(()) }
//! ```

use std::time::Duration;

use alloy::primitives::B256;
use reqwest::StatusCode;

use crate::wire::{
    ApiError, ErrorKind, HEADER_JOB, HEADER_PAYMENT, OrchestratorInfo, Payment, Quote,
    QuoteRequest, SegmentJob, SegmentResult, encode_header,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The orchestrator refused, with this error (see [`ErrorKind`]).
    #[error("orchestrator answered {status}: {error}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error body.
        error: ApiError,
    },
    /// An error status without an [`ApiError`] body (e.g. a proxy in between).
    #[error("orchestrator answered {status} without an API error body: {body}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
        /// The start of the body, for a human.
        body: String,
    },
    /// The base URL is not usable.
    #[error("bad orchestrator URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header could not be encoded.
    #[error("encoding a header: {0}")]
    Header(#[from] serde_json::Error),
    /// Connection, timeout, or a body that is not the expected JSON.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
}

impl ClientError {
    /// The orchestrator's error, when it answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The orchestrator's error kind, when it answered with one.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.api().map(|e| e.kind)
    }
}

/// A client of one orchestrator (cheap to clone: it shares its connection pool).
#[derive(Debug, Clone)]
pub struct OrchestratorClient {
    base: reqwest::Url,
    http: reqwest::Client,
}

/// Default timeout of a whole call (a segment's transcode included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

impl OrchestratorClient {
    /// A client of the orchestrator at `base_url` (e.g. `http://10.0.0.5:8935`, its service URI),
    /// with [`DEFAULT_TIMEOUT`] per call.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .build()?;
        Self::with_client(base_url, http)
    }

    /// A client using `http` (to share a pool or set other timeouts).
    pub fn with_client(base_url: &str, http: reqwest::Client) -> Result<Self, ClientError> {
        let url_err = |reason: String| ClientError::Url {
            url: base_url.to_owned(),
            reason,
        };
        let mut base = reqwest::Url::parse(base_url).map_err(|e| url_err(e.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(url_err("not an http(s) URL".into()));
        }
        // Paths below are joined relative to the base: make sure it ends with a slash.
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        Ok(Self { base, http })
    }

    /// The base URL.
    pub fn base_url(&self) -> &reqwest::Url {
        &self.base
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ClientError> {
        self.base.join(path).map_err(|e| ClientError::Url {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })
    }

    /// `GET /v1/info`.
    pub async fn info(&self) -> Result<OrchestratorInfo, ClientError> {
        let r = self.http.get(self.url("v1/info")?).send().await?;
        Ok(checked(r).await?.json().await?)
    }

    /// `POST /v1/quote`.
    pub async fn quote(&self, req: &QuoteRequest) -> Result<Quote, ClientError> {
        let r = self
            .http
            .post(self.url("v1/quote")?)
            .json(req)
            .send()
            .await?;
        Ok(checked(r).await?.json().await?)
    }

    /// `POST /v1/segment`: the job and payment in headers, `body` (the segment's bytes, whose
    /// length and hash the job declares) as the body.
    pub async fn segment(
        &self,
        job: &SegmentJob,
        payment: &Payment,
        body: impl Into<reqwest::Body>,
    ) -> Result<SegmentResult, ClientError> {
        let r = self
            .http
            .post(self.url("v1/segment")?)
            .header(HEADER_JOB, encode_header(job)?)
            .header(HEADER_PAYMENT, encode_header(payment)?)
            .header(reqwest::header::CONTENT_TYPE, "video/mp2t")
            .body(body)
            .send()
            .await?;
        Ok(checked(r).await?.json().await?)
    }

    /// `GET /v1/renditions/{outputHash}`: a rendition's bytes (the caller checks their hash).
    pub async fn rendition(&self, output_hash: B256) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("v1/renditions/{output_hash}")).await
    }

    /// `GET /v1/sources/{inputHash}`: a source segment's bytes (the caller checks their hash).
    pub async fn source(&self, input_hash: B256) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("v1/sources/{input_hash}")).await
    }

    async fn bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let r = self.http.get(self.url(path)?).send().await?;
        Ok(checked(r).await?.bytes().await?.to_vec())
    }
}

/// Passes a success through; turns an error status into [`ClientError::Api`] (or
/// [`ClientError::UnexpectedStatus`] when the body is not an [`ApiError`]).
async fn checked(r: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = r.status();
    if status.is_success() {
        return Ok(r);
    }
    let body = r.bytes().await.unwrap_or_default();
    Err(error_from(status, &body))
}

fn error_from(status: StatusCode, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(error) => ClientError::Api {
            status: status.as_u16(),
            error,
        },
        Err(_) => ClientError::UnexpectedStatus {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        let c = OrchestratorClient::new("http://127.0.0.1:8935").expect("client");
        assert_eq!(
            c.url("v1/info").expect("url").as_str(),
            "http://127.0.0.1:8935/v1/info"
        );
        let c = OrchestratorClient::new("http://host/prefix").expect("client");
        assert_eq!(
            c.url("v1/info").expect("url").as_str(),
            "http://host/prefix/v1/info"
        );
        assert!(matches!(
            OrchestratorClient::new("mailto:x@y"),
            Err(ClientError::Url { .. })
        ));
        assert!(matches!(
            OrchestratorClient::new("not a url"),
            Err(ClientError::Url { .. })
        ));
    }

    #[test]
    fn error_bodies_become_api_errors() {
        let body =
            serde_json::to_vec(&ApiError::new(ErrorKind::LowPMBalance, "fund it")).expect("json");
        let e = error_from(StatusCode::PAYMENT_REQUIRED, &body);
        assert_eq!(e.kind(), Some(ErrorKind::LowPMBalance));
        let e = error_from(StatusCode::BAD_GATEWAY, b"<html>proxy</html>");
        assert!(matches!(
            e,
            ClientError::UnexpectedStatus { status: 502, .. }
        ));
        assert_eq!(e.kind(), None);
    }
}
