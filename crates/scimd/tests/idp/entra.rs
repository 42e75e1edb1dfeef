//! Microsoft Entra ID: the provisioning service's requests as its
//! documentation shows them ("Develop and plan provisioning for a SCIM
//! endpoint", "Known issues … SCIM 2.0 protocol compliance"), with the
//! `aadOptscim062020` flag off (capitalised ops, `"False"`, member removal
//! by a value list) and on (RFC ops, booleans, no-path values keyed by
//! dotted and URN paths, `members[value eq …]`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use crate::helpers::*;

const FLAG: &str = "aadOptscim062020";

/// The Create User body of Microsoft's tutorial (enterprise extension in
/// `schemas`, `meta.resourceType`, an empty `roles`).
fn entra_user(user_name: &str, external_id: &str, work_email: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": work_email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    })
}

async fn create(app: &TestServer, body: &Value) -> String {
    let r = app.post("/Users", body).await.expect(201);
    r.id()
}

#[tokio::test]
async fn test_connection_queries_a_random_guid() {
    let app = TestServer::spawn().await;
    // Test Connection: "queries the SCIM endpoint for a user that doesn't
    // exist, using a random GUID … The expected correct response is HTTP 200
    // OK with an empty SCIM ListResponse message."
    let guid = "3b1a5e2c-7d4f-4c1e-9a8b-0f6e2d9c4b17";
    let r = find_user(&app, guid, "").await;
    assert_list(&r, 0);
    let r = raw(&app, Method::GET, &format!("/Users?filter={}", enc(&format!("externalId eq \"{guid}\""))), None)
        .await
        .expect(200);
    assert_list(&r, 0);
    // The same with the flag in the Tenant URL: Entra keeps it on every request.
    let r = raw(&app, Method::GET, &format!("/Users?{FLAG}&filter={}", enc(&format!("userName eq \"{guid}\""))), None)
        .await
        .expect(200);
    assert_list(&r, 0);
    // …and a random group, members excluded.
    let r = raw(
        &app,
        Method::GET,
        &format!("/Groups?excludedAttributes=members&filter={}", enc(&format!("displayName eq \"{guid}\""))),
        None,
    )
    .await
    .expect(200);
    assert_list(&r, 0);
}

#[tokio::test]
async fn user_lifecycle_with_the_flag_off() {
    let app = TestServer::spawn().await;
    let name = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee";
    let mail = "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com";

    // Match first (nothing), then create.
    assert_list(&find_user(&app, name, "").await, 0);
    let r = app.post("/Users", &entra_user(name, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", mail)).await.expect(201);
    let id = r.id();
    assert_eq!(r.body["userName"], name);
    assert_eq!(r.body["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
    assert_eq!(r.body["active"], true);
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some(mail));
    assert_eq!(r.body["name"]["givenName"], "givenName");
    assert_eq!(r.body["meta"]["resourceType"], "User");
    let path = format!("/Users/{id}");

    // Get by filter (userName eq) and by id.
    let r = find_user(&app, name, "").await;
    assert_list(&r, 1);
    assert_eq!(ids(&r), vec![id.clone()]);
    assert_eq!(r.resources()[0]["active"], true);
    app.get(&path).await.expect(200);

    // Update User [Multi-valued properties].
    let r = app
        .patch(
            &path,
            &patch_body(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
            ])),
        )
        .await
        .expect(200);
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some("updatedEmail@microsoft.com"));
    assert_eq!(r.body["emails"].as_array().unwrap().len(), 1, "the work email was updated in place: {}", r.text);
    assert_eq!(r.body["name"]["familyName"], "updatedFamilyName");
    assert_eq!(r.body["name"]["givenName"], "givenName");

    // Requests to add a single-value string attribute (flag off).
    let r =
        app.patch(&path, &patch_body(json!([{"op": "Add", "path": "nickName", "value": "Babs"}]))).await.expect(200);
    assert_eq!(r.body["nickName"], "Babs");

    // Requests to replace multiple attributes (flag off): one op per path,
    // the extension attribute by its URN-qualified path.
    let r = app
        .patch(
            &path,
            &patch_body(json!([
                {"op": "Replace", "path": "displayName", "value": "Pvlo"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "TestBcwqnm@test.microsoft.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
                {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
                {"op": "Replace", "path": "externalId", "value": "Eqpj"},
                {"op": "Replace", "path": format!("{ENTERPRISE_SCHEMA}:employeeNumber"), "value": "Eqpj"}
            ])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Pvlo");
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some("TestBcwqnm@test.microsoft.com"));
    assert_eq!(r.body["name"]["givenName"], "Gtfd");
    assert_eq!(r.body["name"]["familyName"], "Pkqf");
    assert_eq!(r.body["externalId"], "Eqpj");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["employeeNumber"], "Eqpj");

    // Requests made to disable users (flag off): "False" as a string. The
    // user stays readable and findable, with active false.
    let r =
        app.patch(&path, &patch_body(json!([{"op": "Replace", "path": "active", "value": "False"}]))).await.expect(200);
    assert_eq!(r.body["active"], false);
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["active"], false);
    assert_eq!(g.body["displayName"], "Pvlo", "deactivation keeps the data");
    let f = find_user(&app, name, "").await;
    assert_list(&f, 1);
    assert_eq!(f.resources()[0]["active"], false, "{}", f.text);
    // Re-enable: "True".
    let r =
        app.patch(&path, &patch_body(json!([{"op": "Replace", "path": "active", "value": "True"}]))).await.expect(200);
    assert_eq!(r.body["active"], true);

    // Update User [Single-valued properties]: userName.
    let r = app
        .patch(
            &path,
            &patch_body(json!([{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");

    // Delete User: 204, then gone for SCIM.
    app.delete(&path).await.expect(204);
    assert_scim_error(&app.get(&path).await, 404, None);
    assert_list(&find_user(&app, "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com", "").await, 0);
}

#[tokio::test]
async fn query_by_work_email() {
    // "if user uniqueness is evaluated for both userName and emails[type eq
    // "work"], a GET to /Users with a filter must allow for both userName eq
    // … and emails[type eq "work"].value eq … queries" (Entra tutorial).
    let app = TestServer::spawn().await;
    let mail = "match.me@contoso.com";
    let id = create(&app, &entra_user("matchme", "matchme", mail)).await;
    create(&app, &entra_user("other", "other", "other@contoso.com")).await;
    // The RFC 7644 form first…
    let r = raw(
        &app,
        Method::GET,
        &format!("/Users?filter={}", enc(&format!("emails[type eq \"work\" and value eq \"{mail}\"]"))),
        None,
    )
    .await
    .expect(200);
    assert_eq!(ids(&r), vec![id.clone()], "{}", r.text);
    // …then the form Entra documents sending.
    let r = raw(
        &app,
        Method::GET,
        &format!("/Users?filter={}", enc(&format!("emails[type eq \"work\"].value eq \"{mail}\""))),
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_list(&r, 1);
    assert_eq!(ids(&r), vec![id]);
}

#[tokio::test]
async fn user_updates_with_the_flag_on() {
    let app = TestServer::spawn().await;
    let id = create(&app, &entra_user("flag.on@contoso.com", "flag-on", "flag.on@contoso.com")).await;
    // Entra appends the flag to the Tenant URL, so it rides on every request.
    let path = format!("/Users/{id}?{FLAG}");

    // Requests to add a single-value string attribute (flag on).
    let r =
        raw(&app, Method::PATCH, &path, Some(&patch_body(json!([{"op": "add", "path": "nickName", "value": "Babs"}]))))
            .await
            .expect(200);
    assert_eq!(r.body["nickName"], "Babs");

    // Requests to replace multiple attributes (flag on): a filtered path op,
    // then one no-path op whose value keys are dotted and URN paths.
    let r = raw(
        &app,
        Method::PATCH,
        &path,
        Some(&patch_body(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@test.microsoft.com"},
            {"op": "replace", "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                format!("{ENTERPRISE_SCHEMA}:employeeNumber"): "Aklq"
            }}
        ]))),
    )
    .await
    .expect(200);
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some("TestMhvaes@test.microsoft.com"));
    assert_eq!(r.body["displayName"], "Bjfe");
    assert_eq!(r.body["name"]["givenName"], "Kkom");
    assert_eq!(r.body["name"]["familyName"], "Unua");
    assert!(r.body.get("name.givenName").is_none(), "dotted keys are paths, not attribute names: {}", r.text);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["employeeNumber"], "Aklq", "{}", r.text);
    assert!(r.body.get(format!("{ENTERPRISE_SCHEMA}:employeeNumber")).is_none(), "{}", r.text);
    assert!(r.body["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE_SCHEMA)), "{}", r.text);
    assert_eq!(r.body["nickName"], "Babs", "a no-path replace leaves other attributes alone");

    // Requests made to disable users (flag on): a real boolean.
    let r = raw(
        &app,
        Method::PATCH,
        &path,
        Some(&patch_body(json!([{"op": "replace", "path": "active", "value": false}]))),
    )
    .await
    .expect(200);
    assert_eq!(r.body["active"], false);
    let g = raw(&app, Method::GET, &path, None).await.expect(200);
    assert_eq!(g.body["active"], false);
    assert_eq!(g.body["name"]["givenName"], "Kkom");
}

#[tokio::test]
async fn dotted_and_urn_keys_in_a_no_path_add() {
    // The same value-object shape with "Add", as Entra sends it for several
    // newly mapped attributes at once.
    let app = TestServer::spawn().await;
    let id = create(&app, &entra_user("dotted@contoso.com", "dotted", "dotted@contoso.com")).await;
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_body(json!([{"op": "Add", "value": {
                "title": "Engineer",
                "name.middleName": "Q",
                format!("{ENTERPRISE_SCHEMA}:department"): "R&D",
                format!("{ENTERPRISE_SCHEMA}:costCenter"): "4130"
            }}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body["title"], "Engineer");
    assert_eq!(r.body["name"]["middleName"], "Q");
    assert_eq!(r.body["name"]["givenName"], "givenName", "a dotted key sets one sub-attribute only");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["department"], "R&D");
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["costCenter"], "4130");
}

#[tokio::test]
async fn replace_work_email_on_a_user_without_one_creates_it() {
    let app = TestServer::spawn().await;
    // Created without any work email (the mapping was added later in Entra).
    let id = app
        .create_user_with(
            json!({"userName": "nowork@contoso.com", "emails": [{"value": "home@example.org", "type": "home"}]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_body(
                json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "nowork@contoso.com"}]),
            ),
        )
        .await
        .expect(200);
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some("nowork@contoso.com"), "{}", r.text);
    assert_eq!(email_of_type(&r.body, "home").as_deref(), Some("home@example.org"));
    // And on a user with no emails at all, through "Add" (the other verb Entra uses).
    let id2 = app.create_user("noemails@contoso.com").await["id"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/Users/{id2}"),
            &patch_body(
                json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "noemails@contoso.com"}]),
            ),
        )
        .await
        .expect(200);
    assert_eq!(email_of_type(&r.body, "work").as_deref(), Some("noemails@contoso.com"), "{}", r.text);
}

#[tokio::test]
async fn manager_by_urn_path_with_a_plain_string() {
    let app = TestServer::spawn().await;
    let boss = create(&app, &entra_user("boss@contoso.com", "boss", "boss@contoso.com")).await;
    let id = create(&app, &entra_user("report@contoso.com", "report", "report@contoso.com")).await;
    let path = format!("/Users/{id}");
    // The mapping `manager -> urn:…:enterprise:2.0:User:manager` makes Entra
    // send the manager's id as a plain string.
    let r = app
        .patch(
            &path,
            &patch_body(json!([{"op": "Add", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": boss}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss), "{}", r.text);
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss), "{}", g.text);
    // Replacing it (the manager changed) and removing it.
    let boss2 = create(&app, &entra_user("boss2@contoso.com", "boss2", "boss2@contoso.com")).await;
    let r = app
        .patch(
            &path,
            &patch_body(json!([{"op": "Replace", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": boss2}])),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss2), "{}", r.text);
    let r = app
        .patch(&path, &patch_body(json!([{"op": "Remove", "path": format!("{ENTERPRISE_SCHEMA}:manager")}])))
        .await
        .expect(200);
    assert!(r.body.get(ENTERPRISE_SCHEMA).is_none_or(|e| e.get("manager").is_none()), "{}", r.text);
}

/// Entra ID's older client (Microsoft's published example request) sends
/// the manager as a one-element array, by the short path; more than one
/// value is refused and changes nothing.
#[tokio::test]
async fn manager_as_a_one_element_array() {
    let app = TestServer::spawn().await;
    let boss = create(&app, &entra_user("boss@contoso.com", "boss", "boss@contoso.com")).await;
    let id = create(&app, &entra_user("report@contoso.com", "report", "report@contoso.com")).await;
    let path = format!("/Users/{id}");
    let reference = format!("{}/Users/{boss}", app.url(""));
    let add = json!([{"op": "Add", "path": "manager", "value": [{"$ref": reference, "value": boss}]}]);
    let r = app.patch(&path, &patch_body(add)).await.expect(200);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss), "{}", r.text);
    let two = json!([{"op": "Replace", "path": "manager", "value": [{"value": boss}, {"value": id}]}]);
    let r = app.patch(&path, &patch_body(two)).await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss));
    // The same shape in a POST body.
    let mut body = entra_user("other@contoso.com", "other", "other@contoso.com");
    body[ENTERPRISE_SCHEMA] = json!({"manager": [{"value": boss}]});
    let r = app.post("/Users", &body).await.expect(201);
    assert_eq!(r.body[ENTERPRISE_SCHEMA]["manager"]["value"], json!(boss), "{}", r.text);
}

#[tokio::test]
async fn manager_reference_query() {
    // "Query the value of a reference attribute to be updated": before
    // updating manager Entra asks whether the user has that manager.
    let app = TestServer::spawn().await;
    let boss = create(&app, &entra_user("boss@contoso.com", "boss", "boss@contoso.com")).await;
    let mut body = entra_user("report@contoso.com", "report", "report@contoso.com");
    body[ENTERPRISE_SCHEMA] = json!({"manager": {"value": boss}});
    let id = create(&app, &body).await;
    let other = create(&app, &entra_user("other@contoso.com", "other", "other@contoso.com")).await;
    // URN-qualified, as RFC 7644 §3.10 asks for extension attributes.
    let q = |m: &str| {
        format!(
            "/Users?filter={}&attributes=id",
            enc(&format!("id eq \"{id}\" and {ENTERPRISE_SCHEMA}:manager.value eq \"{m}\""))
        )
    };
    let yes = raw(&app, Method::GET, &q(&boss), None).await.expect(200);
    assert_list(&yes, 1);
    assert_eq!(ids(&yes), vec![id.clone()]);
    assert!(yes.resources()[0].get("userName").is_none(), "attributes=id: {}", yes.text);
    let no = raw(&app, Method::GET, &q(&other), None).await.expect(200);
    assert_list(&no, 0);
}

#[tokio::test]
async fn manager_reference_query_as_documented() {
    // The tutorial's query parameters name the attribute path "manager",
    // unqualified (RFC 7644 §3.10 lets clients omit the URN when the name is
    // unambiguous: only the enterprise extension has a manager), and compare
    // the whole reference, as `members eq` does.
    let app = TestServer::spawn().await;
    let boss = create(&app, &entra_user("boss@contoso.com", "boss", "boss@contoso.com")).await;
    let mut body = entra_user("report@contoso.com", "report", "report@contoso.com");
    body[ENTERPRISE_SCHEMA] = json!({"manager": {"value": boss}});
    let id = create(&app, &body).await;
    let mut failures = Vec::new();
    for filter in
        [format!("id eq \"{id}\" and manager.value eq \"{boss}\""), format!("id eq \"{id}\" and manager eq \"{boss}\"")]
    {
        let r = raw(&app, Method::GET, &format!("/Users?filter={}&attributes=id", enc(&filter)), None).await;
        if r.status.as_u16() != 200 || ids(&r) != vec![id.clone()] {
            failures.push(format!("{filter} -> {} {}", r.status, r.text));
        }
    }
    assert!(failures.is_empty(), "documented manager queries failed:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn group_lifecycle() {
    let app = TestServer::spawn().await;
    let u1 = create(&app, &entra_user("u1@contoso.com", "u1", "u1@contoso.com")).await;
    let u2 = create(&app, &entra_user("u2@contoso.com", "u2", "u2@contoso.com")).await;
    let u3 = create(&app, &entra_user("u3@contoso.com", "u3", "u3@contoso.com")).await;

    // Match by displayName first (nothing), then create with no members.
    let by_name =
        |n: &str| format!("/Groups?excludedAttributes=members&filter={}", enc(&format!("displayName eq \"{n}\"")));
    assert_list(&raw(&app, Method::GET, &by_name("Sales"), None).await.expect(200), 0);
    let r = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Sales", "meta": {"resourceType": "Group"}}),
        )
        .await
        .expect(201);
    let gid = r.id();
    assert_eq!(r.body["displayName"], "Sales");
    assert_eq!(r.body["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert!(member_values(&r.body).is_empty());
    let gpath = format!("/Groups/{gid}");

    // Get Group / Get Group by displayName, members excluded.
    let g = raw(&app, Method::GET, &format!("{gpath}?excludedAttributes=members"), None).await.expect(200);
    assert_eq!(g.body["id"], json!(gid));
    assert_eq!(g.body["displayName"], "Sales");
    assert!(g.body.get("members").is_none(), "{}", g.text);
    let l = raw(&app, Method::GET, &by_name("Sales"), None).await.expect(200);
    assert_list(&l, 1);
    assert_eq!(ids(&l), vec![gid.clone()]);

    // Update Group [Non-member attributes]: 204 (or 200).
    let r =
        app.patch(&gpath, &patch_body(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]))).await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);

    // Update Group [Add Members]: "$ref": null, and several in one op.
    let r = app
        .patch(&gpath, &patch_body(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": u1}]}])))
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    let r = app
        .patch(&gpath, &patch_body(json!([{"op": "Add", "path": "members", "value": [{"value": u2}, {"value": u3}]}])))
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[u1.clone(), u2.clone(), u3.clone()]));

    // Membership check: id eq … and members eq …, attributes=id.
    let member_q =
        |u: &str| format!("/Groups?filter={}&attributes=id", enc(&format!("id eq \"{gid}\" and members eq \"{u}\"")));
    let yes = raw(&app, Method::GET, &member_q(&u1), None).await.expect(200);
    assert_list(&yes, 1);
    assert_eq!(ids(&yes), vec![gid.clone()]);
    assert!(yes.resources()[0].get("members").is_none(), "{}", yes.text);
    let outsider = create(&app, &entra_user("out@contoso.com", "out", "out@contoso.com")).await;
    assert_list(&raw(&app, Method::GET, &member_q(&outsider), None).await.expect(200), 0);

    // Update Group [Remove Members], flag off: a value list.
    let r = app
        .patch(
            &gpath,
            &patch_body(json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": u1}]}])),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, sorted(&[u2.clone(), u3.clone()]));
    assert_list(&raw(&app, Method::GET, &member_q(&u1), None).await.expect(200), 0);
    // Flag on: a value filter.
    let r = raw(
        &app,
        Method::PATCH,
        &format!("{gpath}?{FLAG}"),
        Some(&patch_body(json!([{"op": "remove", "path": format!("members[value eq \"{u2}\"]")}]))),
    )
    .await;
    assert!(matches!(r.status.as_u16(), 200 | 204), "{}", r.text);
    assert_eq!(members_of(&app, &gid).await, vec![u3.clone()]);

    // The list with members excluded, then Delete Group.
    let l = raw(&app, Method::GET, "/Groups?excludedAttributes=members", None).await.expect(200);
    assert_list(&l, 1);
    assert!(l.resources()[0].get("members").is_none(), "{}", l.text);
    app.delete(&gpath).await.expect(204);
    assert_scim_error(&app.get(&gpath).await, 404, None);
    let u = app.get(&format!("/Users/{u3}")).await.expect(200);
    assert!(group_values(&u.body).is_empty(), "{}", u.text);
}

#[tokio::test]
async fn create_group_with_the_tutorials_schema_list() {
    // The tutorial's Create Group request still lists Microsoft's legacy
    // ADSCIM schema URI beside the core one, with no attributes under it.
    // scimd ignores a listed URN that carries no data (nothing is lost) and
    // leaves it out of the stored `schemas`.
    let app = TestServer::spawn().await;
    let adscim = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
    let body = json!({
        "schemas": [GROUP_SCHEMA, adscim],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"}
    });
    let r = app.post("/Groups", &body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["displayName"], "displayName");
    assert_eq!(r.body["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert_eq!(r.body["schemas"], json!([GROUP_SCHEMA]));
    // Data under an undeclared URN is still refused by default.
    let mut with_data = body.clone();
    with_data[adscim] = json!({"x": 1});
    let r = app.post("/Groups", &with_data).await;
    assert_refused(&r, 400, Some("invalidValue"), "data under an undeclared schema URN");
}

#[tokio::test]
async fn renamed_then_reprovisioned_with_the_old_name() {
    let app = TestServer::spawn().await;
    let old = "alex.wilber@contoso.com";
    let id = create(&app, &entra_user(old, "alexw", old)).await;
    // The UPN changed in Entra: Entra renames the user…
    app.patch(
        &format!("/Users/{id}"),
        &patch_body(json!([{"op": "Replace", "path": "userName", "value": "alex.w@contoso.com"}])),
    )
    .await
    .expect(200);
    assert_list(&find_user(&app, old, "").await, 0);
    // …and a new hire gets the old UPN: the old name is free again.
    let r = app.post("/Users", &entra_user(old, "alexw2", old)).await;
    assert_eq!(r.status.as_u16(), 201, "re-using a released userName: {}", r.text);
    assert_ne!(r.id(), id);
    // The same after a DELETE (soft delete frees the userName).
    app.delete(&format!("/Users/{}", r.id())).await.expect(204);
    let r = app.post("/Users", &entra_user(old, "alexw3", old)).await;
    assert_eq!(r.status.as_u16(), 201, "re-provisioning after DELETE: {}", r.text);
    // The renamed user is untouched.
    let g = app.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(g.body["userName"], "alex.w@contoso.com");
}

#[tokio::test]
async fn the_full_documented_create_body_with_nulls() {
    // Example 2 of the tutorial sends unmapped attributes as JSON null
    // (RFC 7643 §2.5: null is "unassigned").
    let app = TestServer::spawn().await;
    let r = app
        .post(
            "/Users",
            &json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
                "externalId": "jyoung",
                "userName": "jyoung@testuser.com",
                "active": true,
                "addresses": null,
                "displayName": "Joy Young",
                "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": true}],
                "meta": {"resourceType": "User"},
                "name": {"familyName": "Young", "givenName": "Joy"},
                "phoneNumbers": null,
                "preferredLanguage": null,
                "title": null
            }),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert_eq!(r.body["displayName"], "Joy Young");
    assert!(r.body.get("title").is_none_or(Value::is_null), "{}", r.text);
    assert!(r.body.get("phoneNumbers").is_none_or(|p| p.is_null()), "{}", r.text);
}

#[tokio::test]
async fn bad_shapes_get_rfc_errors() {
    let mut app = TestServer::spawn().await;
    let id = create(&app, &entra_user("bad@contoso.com", "bad", "bad@contoso.com")).await;
    let path = format!("/Users/{id}");
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("unknown op", patch_body(json!([{"op": "Frobnicate", "path": "displayName", "value": "x"}])), None),
        (
            "malformed value filter in path",
            patch_body(json!([{"op": "Replace", "path": "emails[type eq \"work\".value", "value": "x"}])),
            Some("invalidPath"),
        ),
        ("active not a boolean", patch_body(json!([{"op": "Replace", "path": "active", "value": "Maybe"}])), None),
        ("no-path replace with a string value", patch_body(json!([{"op": "Replace", "value": "x"}])), None),
        ("no Operations", json!({"schemas": [PATCH_SCHEMA]}), None),
        ("Operations not an array", json!({"schemas": [PATCH_SCHEMA], "Operations": {"op": "add"}}), None),
    ];
    for (what, body, scim_type) in cases {
        let r = app.patch(&path, &body).await;
        assert_refused(&r, 400, scim_type, what);
    }
    // A filter Entra never sends.
    let r = raw(&app, Method::GET, &format!("/Users?filter={}", enc("userName eq")), None).await;
    assert_refused(&r, 400, Some("invalidFilter"), "filter without a value");
    // Nothing changed, and the server is alive.
    let g = app.get(&path).await.expect(200);
    assert_eq!(g.body["active"], true);
    assert_eq!(g.body["userName"], "bad@contoso.com");
    app.assert_alive().await;
}
