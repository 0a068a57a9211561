//! The calls the broadcaster makes to an orchestrator's HTTP API ([`crate::wire`]): quote, paid
//! segment, rendition fetch. Refusals come back with the orchestrator's [`ApiError`], whose
//! [`ErrorKind`] the session acts on.

use std::time::Duration;

use alloy::primitives::B256;

use crate::wire::{
    ApiError, ErrorKind, HEADER_JOB, HEADER_PAYMENT, Payment, Quote, QuoteRequest, SegmentJob,
    SegmentResult, encode_header,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The orchestrator refused with an API error.
    #[error("orchestrator answered {status}: {error}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Its error.
        error: ApiError,
    },
    /// An error status without an API error body.
    #[error("orchestrator answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The URI is not an http(s) URL.
    #[error("bad orchestrator URI {0:?}")]
    Url(String),
    /// A header could not be encoded.
    #[error("encoding a header: {0}")]
    Header(#[from] serde_json::Error),
    /// Transport, timeout, or an unexpected body.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
}

impl ClientError {
    /// The orchestrator's error, if it answered one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The orchestrator's error kind, if it answered one.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.api().map(|e| e.kind)
    }
}

/// A client of one orchestrator.
#[derive(Debug, Clone)]
pub struct OrchestratorClient {
    base: reqwest::Url,
    http: reqwest::Client,
}

impl OrchestratorClient {
    /// A client of the orchestrator at `uri` (its registered service URI).
    pub fn new(uri: &str) -> Result<Self, ClientError> {
        let mut base = reqwest::Url::parse(uri).map_err(|_| ClientError::Url(uri.to_owned()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::Url(uri.to_owned()));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(Self { base, http })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ClientError> {
        self.base
            .join(path)
            .map_err(|_| ClientError::Url(format!("{}{path}", self.base)))
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

    /// `POST /v1/segment` with the job and payment in headers and the segment as the body.
    pub async fn segment(
        &self,
        job: &SegmentJob,
        payment: &Payment,
        body: Vec<u8>,
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

    /// `GET /v1/renditions/{outputHash}` (the caller checks the hash).
    pub async fn rendition(&self, output_hash: B256) -> Result<Vec<u8>, ClientError> {
        let r = self
            .http
            .get(self.url(&format!("v1/renditions/{output_hash}"))?)
            .send()
            .await?;
        Ok(checked(r).await?.bytes().await?.to_vec())
    }
}

async fn checked(r: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = r.status();
    if status.is_success() {
        return Ok(r);
    }
    let body = r.bytes().await.unwrap_or_default();
    Err(match serde_json::from_slice::<ApiError>(&body) {
        Ok(error) => ClientError::Api {
            status: status.as_u16(),
            error,
        },
        Err(_) => ClientError::Status {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
        },
    })
}
