//! `POST /Bulk` (RFC 7644 §3.7): runs a `BulkRequest` with the plan from
//! [`scim_core::bulk`] (limits §3.7.4, bulkId references and circular ones
//! §3.7.1–§3.7.2, `failOnErrors` §3.7) and answers a `BulkResponse`
//! (§3.7.3).
//!
//! Every operation goes through the same operations as the single-resource
//! endpoints ([`crate::ops`]): validation, Group membership rows,
//! `version` as `If-Match`, audit and outbox. Each is its own transaction:
//! RFC bulk is not atomic, so an operation that fails leaves the others in
//! place, and is reported (and audited) on its own.

use std::collections::HashMap;
use std::pin::Pin;
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use scim_core::ScimError;
use scim_core::bulk::{
    BulkLimits, BulkMethod, BulkOpResult, BulkOperation, BulkRequest, Step, bulk_response_json, execution_order,
    parse_bulk_request, payload_too_large, resolve_bulk_ids, resolve_target, should_stop, unresolved_bulk_id,
};
use scim_core::resource::etag;
use scim_store::{AuditContext, ResourceKind};
use serde_json::Value;
use uuid::Uuid;

use super::error::ApiError;
use super::json::{check_media_type, parse_body};
use super::params::resource_id;
use super::response::scim_response;
use super::tenancy::Caller;
use crate::ops::audit::Target;
use crate::ops::{OpError, Precondition};
use crate::state::AppState;

/// `POST /scim/v2/{tenant}/Bulk`. The body is read here, against
/// `maxPayloadSize` rather than the general body limit, so an oversized bulk
/// request gets the §3.7.4 answer.
pub async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    check_media_type(&headers)?;
    let limits = &state.bulk;
    let bytes = read_limited(&headers, body, limits).await?;
    let request = parse_bulk_request(&parse_body(&bytes)?, limits)?;
    let deadline = Instant::now() + state.bulk_time;
    let results = Runner::new(&state, &caller, &request).run(deadline).await;
    Ok(scim_response(StatusCode::OK, &bulk_response_json(&results)))
}

/// The raw body, refused with 413 as soon as it is known to exceed
/// `maxPayloadSize` (from `Content-Length`, or while reading a chunked body).
async fn read_limited(headers: &HeaderMap, mut body: Body, limits: &BulkLimits) -> Result<Vec<u8>, ApiError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_payload_bytes as u64) {
        return Err(payload_too_large(limits).into());
    }
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ScimError::invalid_syntax(format!("cannot read request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limits.max_payload_bytes {
                return Err(payload_too_large(limits).into());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// One bulk request's execution: the ids created so far by bulkId, the
/// results by operation index, the error count for `failOnErrors`.
struct Runner<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    request: &'a BulkRequest,
    resolved: HashMap<String, String>,
    results: Vec<Option<BulkOpResult>>,
    errors: u32,
}

impl<'a> Runner<'a> {
    fn new(state: &'a AppState, caller: &'a Caller, request: &'a BulkRequest) -> Self {
        Runner {
            state,
            caller,
            request,
            resolved: HashMap::new(),
            results: vec![None; request.operations.len()],
            errors: 0,
        }
    }

    /// Runs the plan until it is done, `failOnErrors` stops it, or
    /// `deadline` passes; the results of the operations that ran, in
    /// request order (clients match them by position and bulkId). Past the
    /// deadline no operation is started; each one not started is answered
    /// `503` ("not processed", not counted toward `failOnErrors`), so that
    /// the client knows exactly what to send again, and the whole answer
    /// still comes before the request's own time limit.
    async fn run(mut self, deadline: Instant) -> Vec<BulkOpResult> {
        let mut out_of_time = false;
        for step in execution_order(&self.request.operations) {
            if should_stop(self.request.fail_on_errors, self.errors) {
                break;
            }
            if Instant::now() >= deadline {
                out_of_time = true;
                break;
            }
            match step {
                Step::Run(i) => {
                    let op = &self.request.operations[i];
                    let result = self.run_op(op, op.data.clone()).await;
                    self.record(i, result);
                }
                Step::RunPartial { index, data } => {
                    let op = &self.request.operations[index];
                    let result = self.run_op(op, Some(data)).await;
                    self.record(index, result);
                }
                Step::Complete { index, patch } => self.complete(index, patch).await,
                Step::Fail { index, error } => {
                    let op = &self.request.operations[index];
                    let result =
                        self.refused(op, ResourceKind::from_endpoint(&op.resource_endpoint), None, error).await;
                    self.record(index, result);
                }
            }
        }
        if out_of_time {
            let not_processed = ScimError::new(
                503,
                None,
                "not processed: the bulk request reached its time limit before this operation; send it again",
            );
            for (op, slot) in self.request.operations.iter().zip(self.results.iter_mut()) {
                if slot.is_none() {
                    *slot = Some(BulkOpResult::failure(op, None, &not_processed));
                }
            }
        }
        self.results.into_iter().flatten().collect()
    }

    fn record(&mut self, index: usize, result: BulkOpResult) {
        if result.is_error() {
            self.errors += 1;
        }
        if let Some(slot) = self.results.get_mut(index) {
            *slot = Some(result);
        }
    }

    /// One operation, with `data` in place of its own (a cycle's partial
    /// POST).
    async fn run_op(&mut self, op: &BulkOperation, data: Option<Value>) -> BulkOpResult {
        let Some(kind) = ResourceKind::from_endpoint(&op.resource_endpoint) else {
            let err =
                ScimError::invalid_path(format!("Operations[{}]: no endpoint /{}", op.index, op.resource_endpoint));
            return self.refused(op, None, None, err).await;
        };
        let mut data = data.unwrap_or(Value::Null);
        if let Err(bulk_id) = resolve_bulk_ids(&mut data, &self.resolved) {
            let target = op.target.as_deref().and_then(|t| resource_id(t, kind).ok());
            return self.refused(op, Some(kind), target, unresolved_bulk_id(op.index, &bulk_id)).await;
        }
        let ctx = &self.caller.tenant;
        let ops = &self.state.ops;
        if op.method == BulkMethod::Post {
            let audit = self.op_audit(op, kind, None);
            return match ops.create_resource(ctx, &audit, kind, &data).await {
                Ok(created) => {
                    let stored = created.stored;
                    if let Some(bulk_id) = &op.bulk_id {
                        self.resolved.insert(bulk_id.clone(), stored.id.to_string());
                    }
                    BulkOpResult::success(op, 201, Some(ctx.location(kind, stored.id)), Some(etag(stored.version)))
                }
                Err(e) => self.failed(op, kind, None, e).await,
            };
        }

        let raw_target = op.target.as_deref().unwrap_or_default();
        let target = match resolve_target(raw_target, &self.resolved) {
            Ok(t) => t,
            Err(bulk_id) => return self.refused(op, Some(kind), None, unresolved_bulk_id(op.index, &bulk_id)).await,
        };
        let id = match resource_id(&target, kind) {
            Ok(id) => id,
            Err(e) => return self.failed(op, kind, None, e).await,
        };
        let if_match = match op.version.as_deref().map(Precondition::parse).transpose() {
            Ok(p) => p,
            Err(e) => return self.refused(op, Some(kind), Some(id), e).await,
        };
        let audit = self.op_audit(op, kind, Some(id));
        let if_match = if_match.as_ref();
        let written = match op.method {
            BulkMethod::Put => ops.replace_resource(ctx, &audit, kind, id, if_match, &data).await.map(Some),
            BulkMethod::Patch => ops.patch_resource(ctx, &audit, kind, id, if_match, &data).await.map(Some),
            // (A POST has returned above.)
            BulkMethod::Delete | BulkMethod::Post => {
                ops.delete_resource(ctx, &audit, kind, id, if_match).await.map(|()| None)
            }
        };
        match written {
            Ok(Some(stored)) => {
                BulkOpResult::success(op, 200, Some(ctx.location(kind, id)), Some(etag(stored.version)))
            }
            Ok(None) => BulkOpResult::success(op, 204, Some(ctx.location(kind, id)), None),
            Err(e) => self.failed(op, kind, Some(id), e).await,
        }
    }

    /// Adds the values a cycle's POST was created without (RFC 7644
    /// §3.7.1); a failure becomes that POST's result.
    async fn complete(&mut self, index: usize, mut patch: Value) {
        let op = &self.request.operations[index];
        let created = match self.results.get(index) {
            Some(Some(r)) if !r.is_error() => op.bulk_id.as_ref().and_then(|b| self.resolved.get(b)).cloned(),
            _ => None,
        };
        // The POST failed (already reported) or did not run.
        let Some(created) = created else { return };
        let Some(kind) = ResourceKind::from_endpoint(&op.resource_endpoint) else { return };
        let Ok(id) = Uuid::parse_str(&created) else { return };
        let result = if let Err(bulk_id) = resolve_bulk_ids(&mut patch, &self.resolved) {
            self.refused(op, Some(kind), Some(id), unresolved_bulk_id(op.index, &bulk_id)).await
        } else {
            let (ctx, audit) = (&self.caller.tenant, self.op_audit(op, kind, Some(id)));
            match self.state.ops.patch_resource(ctx, &audit, kind, id, None, &patch).await {
                Ok(stored) => BulkOpResult::success(op, 201, Some(ctx.location(kind, id)), Some(etag(stored.version))),
                Err(e) => self.failed(op, kind, Some(id), e).await,
            }
        };
        self.record(index, result);
    }

    /// Who asked, as seen by one operation: the audit entry names the
    /// operation's method and resource path (the request id ties it to the
    /// bulk request).
    fn op_audit(&self, op: &BulkOperation, kind: ResourceKind, id: Option<Uuid>) -> AuditContext {
        let mut audit = self.caller.audit.clone();
        let base = audit.path.strip_suffix("/Bulk").unwrap_or(&audit.path);
        let mut path = format!("{base}/{}", kind.endpoint());
        if let Some(id) = id {
            path = format!("{path}/{id}");
        }
        audit.method = op.method.as_str().to_owned();
        audit.path = path;
        audit
    }

    /// A failure from the shared operations.
    async fn failed(&self, op: &BulkOperation, kind: ResourceKind, id: Option<Uuid>, e: OpError) -> BulkOpResult {
        self.refused(op, Some(kind), id, e.into_scim()).await
    }

    /// Reports a refused operation and writes its audit entry, as the auth
    /// layer does for a refused single-resource request (DESIGN §2).
    async fn refused(
        &self,
        op: &BulkOperation,
        kind: Option<ResourceKind>,
        id: Option<Uuid>,
        err: ScimError,
    ) -> BulkOpResult {
        let context = match kind {
            Some(kind) => self.op_audit(op, kind, id),
            None => self.caller.audit.clone(),
        };
        let target = Target { kind, id, bulk_operation: Some(op.index) };
        self.state.ops.record_refusal(self.caller.tenant.tenant.id, context, target, &err).await;
        let location = kind.zip(id).map(|(kind, id)| self.caller.tenant.location(kind, id));
        BulkOpResult::failure(op, location, &err)
    }
}
