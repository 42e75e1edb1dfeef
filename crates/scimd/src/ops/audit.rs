//! The audit log as operations see it (DESIGN §2, §3): a change's entry is
//! written by the store in the change's own transaction; a refused or
//! failed request is rolled back whole, and its entry is then written here,
//! on its own, so that the refusal is on record and nothing else is. Never
//! a body, a password or a token.

use scim_core::{ResourceKind, ScimError};
use scim_store::{AuditContext, AuditEntry, AuditRecord, Tenant};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Ops;
use super::error::OpResult;

/// What a refused request was aimed at, as far as it is known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Target {
    pub kind: Option<ResourceKind>,
    pub id: Option<Uuid>,
    /// The operation's index, for one operation of a Bulk request.
    pub bulk_operation: Option<usize>,
}

impl Ops {
    /// Records a refused request of `tenant` (its status, the error's
    /// detail and scimType). A failure to record is logged, not returned:
    /// the client gets the refusal it earned either way.
    pub async fn record_refusal(&self, tenant: Uuid, context: AuditContext, target: Target, error: &ScimError) {
        let mut detail = json!({
            "error": error.detail,
            "scimType": error.scim_type.map(|t| t.as_str()),
        });
        if let (Some(i), Value::Object(map)) = (target.bulk_operation, &mut detail) {
            map.insert("bulkOperation".into(), json!(i));
        }
        let entry = AuditEntry {
            tenant: Some(tenant),
            context,
            resource_kind: target.kind,
            resource_id: target.id,
            status: error.status,
            detail,
        };
        if let Err(e) = self.store.write_audit(entry).await {
            tracing::error!(error = %e, "could not write the audit entry of a refused request");
        }
    }

    /// A tenant's most recent audit entries, newest first.
    pub async fn list_audit(&self, tenant: &Tenant, limit: u32) -> OpResult<Vec<AuditRecord>> {
        Ok(self.store.list_audit(tenant.id, limit).await?)
    }
}
