//! The OpenAPI 3.1 description of the admin API, generated from the
//! handlers' annotations (utoipa), served at `/admin/v1/openapi.json`
//! without a token.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::audit_view::{AuditEntryView, AuditPageView};
use super::directory_view::{GroupPage, GroupRefView, GroupView, MemberPage, MemberView, UserPage, UserView};
use super::domains::{DomainChange, DomainList, DomainView, NewDomain, Verification};
use super::events::FeedPageView;
use super::oauth_clients::{ClientList, ClientView, NewClient, RegisteredClientView, SigningKeyList, SigningKeyView};
use super::problem::Problem;
use super::setup_links::{IssuedSetupLinkView, NewSetupLink, SetupLinkList, SetupLinkView};
use super::tenant_auth::{AuthChangeBody, AuthView};
use super::tenants::{NewTenant, SettingsChange, SettingsView, TenantPage, TenantView};
use super::tokens::{IssuedTokenView, NewToken, Rotation, TokenList, TokenView};
use super::webhooks::{
    AttemptView, DeliveryPage, DeliveryView, PingView, ReplayBody, ReplayView, RotationBody, WebhookBody, WebhookList,
    WebhookSecretView, WebhookView,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "scimd admin API", description = "Tenant administration for the application that runs scimd. \
        Authenticate with an admin token (`scimd admin-token create`) as `Authorization: Bearer <token>`; \
        errors are RFC 9457 problem+json with a stable `type` URI."),
    paths(
        super::tenants::create_tenant, super::tenants::list_tenants, super::tenants::get_tenant,
        super::tenants::update_tenant, super::tenants::delete_tenant,
        super::tokens::create_token, super::tokens::list_tokens, super::tokens::get_token,
        super::tokens::revoke_token, super::tokens::rotate_token,
        super::oauth_clients::create_client, super::oauth_clients::list_clients, super::oauth_clients::revoke_client,
        super::oauth_clients::list_signing_keys, super::oauth_clients::rotate_signing_key,
        super::setup_links::create_setup_link, super::setup_links::list_setup_links,
        super::setup_links::revoke_setup_link,
        super::domains::create_domain, super::domains::list_domains, super::domains::get_domain,
        super::domains::verify_domain, super::domains::update_domain, super::domains::delete_domain,
        super::audit::search_audit, super::audit::export_audit,
        super::events::read_tenant_events, super::events::read_all_events,
        super::webhooks::create_webhook, super::webhooks::list_webhooks, super::webhooks::get_webhook,
        super::webhooks::update_webhook, super::webhooks::delete_webhook, super::webhooks::enable_webhook,
        super::webhooks::disable_webhook, super::webhooks::rotate_webhook_secret, super::webhooks::list_deliveries,
        super::webhooks::replay_webhook, super::webhooks::ping_webhook,
        super::directory::list_users, super::directory::get_user, super::directory::list_groups,
        super::directory::get_group, super::directory::list_group_members,
    ),
    components(schemas(Problem, TenantView, NewTenant, TenantPage, SettingsView, SettingsChange, TokenView, IssuedTokenView, NewToken, Rotation, TokenList,
        AuthView, AuthChangeBody, ClientView, RegisteredClientView, NewClient, ClientList, SigningKeyView, SigningKeyList,
        DomainView, NewDomain, Verification, DomainChange, DomainList,
        AuditEntryView, AuditPageView, FeedPageView, WebhookView, WebhookSecretView, WebhookList, WebhookBody, RotationBody, ReplayBody, ReplayView,
        AttemptView, DeliveryView, DeliveryPage, PingView, UserView, UserPage, GroupView, GroupPage, GroupRefView, MemberView, MemberPage,
        SetupLinkView, IssuedSetupLinkView, NewSetupLink, SetupLinkList)),
    modifiers(&BearerAuth),
    tags(
        (name = "tenants", description = "Customer workspaces, each with its own SCIM base URL"),
        (name = "tokens", description = "A tenant's SCIM bearer tokens, for its identity provider"),
        (name = "oauth", description = "OAuth 2.0 clients (client credentials at /oauth2/token) and scimd's signing keys"),
        (name = "setup-links", description = "Self-serve setup links a tenant's IT admin opens to connect their identity provider"),
        (name = "domains", description = "A tenant's verified domains (DNS TXT or manual), which it may enforce on its users' addresses"),
        (name = "audit", description = "A tenant's audit log: search and NDJSON export"),
        (name = "events", description = "The event feed: every change, in order, with a cursor and a long poll"),
        (name = "webhooks", description = "Webhook endpoints (Standard Webhooks or Security Event Tokens), their deliveries, replays"),
        (name = "directory", description = "The host application's view of a tenant's users and groups, deleted ones included"),
    )
)]
pub struct AdminApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An admin token; its scopes: admin, tenants:read, tenants:write, audit:read, events:read, webhooks:write",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /admin/v1/openapi.json`
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(AdminApiDoc::openapi())
}
