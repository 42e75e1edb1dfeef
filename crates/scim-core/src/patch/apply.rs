//! Applying PATCH operations to a full resource document (RFC 7644 §3.5.2):
//! path resolution against the schemas, no-path value objects, whole
//! extensions, mutability (RFC 7643 §7), and the single-valued cases of add
//! (§3.5.2.1), remove (§3.5.2.2) and replace (§3.5.2.3). Multi-valued and
//! value-filter cases are in `multi.rs`.
//!
//! Atomicity: operations run on a copy; `doc` is replaced only when all of
//! them succeeded, so a failed PATCH leaves the resource as it was.

use serde_json::{Map, Value};

use super::multi::{append, apply_filtered, enforce_primary, remove_given};
use super::parse::parse_patch_path;
use super::site::OpSite;
use super::values::{find_key, merge, normalize_attr, normalize_single, set_sub, take_key};
use super::{PatchOpKind, PatchOperation, PatchPath};
use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, Mutability, ResourceType, Schema, SchemaRegistry};

/// Applies `ops` in order to `doc` (a full document). All apply or none:
/// on error `doc` is unchanged. Returns whether the document changed.
/// The caller re-validates the result with `resource::prepare(Mode::Patched)`.
pub fn apply(
    doc: &mut Value,
    ops: &[PatchOperation],
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Result<bool, ScimError> {
    let Value::Object(original) = &*doc else {
        return Err(ScimError::new(500, None, "the stored resource is not a JSON object"));
    };
    let mut work = original.clone();
    let engine = Engine { schemas, rt };
    for (index, op) in ops.iter().enumerate() {
        engine.operation(&mut work, index, op)?;
    }
    tidy_extensions(&mut work, rt);
    let changed = work != *original;
    if changed {
        *doc = Value::Object(work);
    }
    Ok(changed)
}

struct Engine<'a> {
    schemas: &'a SchemaRegistry,
    rt: &'a ResourceType,
}

impl Engine<'_> {
    fn operation(&self, doc: &mut Map<String, Value>, index: usize, op: &PatchOperation) -> Result<(), ScimError> {
        let site = OpSite::new(index, op.op, op.path.as_ref());
        match (&op.path, op.op, &op.value) {
            (None, PatchOpKind::Remove, _) => Err(site.no_target("remove requires a \"path\" (RFC 7644 §3.5.2.2)")),
            (None, kind, Some(Value::Object(obj))) => self.object(doc, kind, obj, &site),
            (None, _, _) => {
                Err(site.invalid_value("without a \"path\", the \"value\" must be an object of attributes"))
            }
            (Some(path), kind, value) => self.path(doc, kind, path, value.as_ref(), &site),
        }
    }

    /// A no-path value object: every key is a path (attribute names in any
    /// case, URN-qualified names, whole extension URNs, and Entra's dotted
    /// `name.givenName`), applied in order with the operation's kind.
    fn object(
        &self,
        doc: &mut Map<String, Value>,
        kind: PatchOpKind,
        obj: &Map<String, Value>,
        site: &OpSite,
    ) -> Result<(), ScimError> {
        for (key, v) in obj {
            // `schemas` describes the message, not an attribute to change.
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let key_site = site.with_key(key);
            let path = parse_patch_path(key).map_err(|e| key_site.wrap(e))?;
            self.path(doc, kind, &path, Some(v), &key_site)?;
        }
        Ok(())
    }

    fn path(
        &self,
        doc: &mut Map<String, Value>,
        kind: PatchOpKind,
        path: &PatchPath,
        value: Option<&Value>,
        site: &OpSite,
    ) -> Result<(), ScimError> {
        if kind != PatchOpKind::Remove && value.is_none() {
            return Err(site.invalid_value("add and replace require a \"value\""));
        }
        if path.filter.is_none()
            && let Some(urn) = path.attr.as_schema_urn()
        {
            if urn.eq_ignore_ascii_case(&self.rt.schema) {
                return match value {
                    Some(Value::Object(obj)) if kind != PatchOpKind::Remove => self.object(doc, kind, obj, site),
                    _ => Err(site.invalid_path("the core schema URN names the whole resource")),
                };
            }
            if let Some(ext) = self.schemas.extension_of(self.rt, &urn) {
                return self.extension(doc, kind, ext, value, site);
            }
        }
        let resolved = self
            .schemas
            .resolve(self.rt, &path.attr)
            .ok_or_else(|| site.invalid_path(format!("\"{}\" is not an attribute of {}", path.attr, self.rt.name)))?;
        let attr = resolved.attr;
        let sub = match (resolved.sub, &path.sub_attr) {
            (Some(_), Some(_)) => return Err(site.invalid_path("the path names two sub-attributes")),
            (Some(s), None) => Some(s),
            (None, Some(name)) => Some(
                attr.sub(name)
                    .ok_or_else(|| site.invalid_path(format!("\"{}\" has no sub-attribute \"{name}\"", attr.name)))?,
            ),
            (None, None) => None,
        };
        let target = sub.unwrap_or(attr);
        if attr.mutability == Mutability::ReadOnly || target.mutability == Mutability::ReadOnly {
            // Okta renames a group with `{"id": <its id>, "displayName": …}`:
            // repeating the current id changes nothing and is accepted.
            let repeats_id = kind != PatchOpKind::Remove
                && !resolved.is_extension
                && attr.name == "id"
                && value.is_some()
                && value == doc.get("id");
            if repeats_id {
                return Ok(());
            }
            return Err(site.mutability(format!("\"{}\" is readOnly", path.attr)));
        }
        let container = if resolved.is_extension {
            match extension_container(doc, resolved.schema_urn, kind != PatchOpKind::Remove) {
                Some(c) => c,
                None => return Ok(()),
            }
        } else {
            doc
        };
        match (&path.filter, sub) {
            (Some(filter), _) if attr.multi_valued => apply_filtered(container, attr, filter, sub, kind, value, site),
            (Some(_), _) => {
                Err(site.invalid_path(format!("\"{}\" is not multi-valued: it takes no filter", attr.name)))
            }
            (None, Some(sub)) => sub_attribute(container, attr, sub, kind, value, site),
            (None, None) => whole_attribute(container, attr, kind, value, site),
        }
    }

    /// A path naming a whole extension (`urn:…:enterprise:2.0:User`).
    fn extension(
        &self,
        doc: &mut Map<String, Value>,
        kind: PatchOpKind,
        ext: &Schema,
        value: Option<&Value>,
        site: &OpSite,
    ) -> Result<(), ScimError> {
        match (kind, value) {
            (PatchOpKind::Remove, _) | (_, Some(Value::Null)) => {
                if let Some(key) = find_key(doc, &ext.id)
                    && let Some(Value::Object(obj)) = doc.get(&key)
                    && let Some(a) = ext
                        .attributes
                        .iter()
                        .find(|a| a.mutability == Mutability::Immutable && find_key(obj, &a.name).is_some())
                {
                    return Err(site.mutability(format!("\"{}\" is immutable and already set", a.name)));
                }
                take_key(doc, &ext.id);
                Ok(())
            }
            (_, Some(Value::Object(obj))) => {
                // Some clients repeat `schemas` inside the extension object;
                // it describes the message, not an attribute to change.
                for (key, v) in obj.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
                    let key_site = site.with_key(&format!("{}:{key}", ext.id));
                    let path = parse_patch_path(&format!("{}:{key}", ext.id)).map_err(|e| key_site.wrap(e))?;
                    self.path(doc, kind, &path, Some(v), &key_site)?;
                }
                Ok(())
            }
            _ => Err(site.invalid_value(format!("the extension \"{}\" takes an object of attributes", ext.id))),
        }
    }
}

/// The object holding an extension's attributes, created when `create`.
fn extension_container<'d>(
    doc: &'d mut Map<String, Value>,
    urn: &str,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    let key = match find_key(doc, urn) {
        Some(k) => k,
        None if create => urn.to_owned(),
        None => return None,
    };
    let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// `attr` as a whole: `userName`, `name`, `emails`, `manager`.
fn whole_attribute(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    kind: PatchOpKind,
    value: Option<&Value>,
    site: &OpSite,
) -> Result<(), ScimError> {
    // Stored documents use canonical names; re-key a stray spelling so the
    // write below replaces it instead of adding a twin.
    if let Some(k) = find_key(container, &attr.name)
        && k != attr.name
        && let Some(v) = container.shift_remove(&k)
    {
        container.insert(attr.name.clone(), v);
    }
    let immutable_old =
        if attr.mutability == Mutability::Immutable { container.get(&attr.name).cloned() } else { None };
    match (kind, value) {
        (PatchOpKind::Remove, Some(given)) if attr.multi_valued && !given.is_null() => {
            remove_given(container, attr, given, site)?;
        }
        (PatchOpKind::Remove, _) => {
            container.shift_remove(&attr.name);
        }
        (kind, Some(value)) => {
            let new = normalize_attr(value, attr, site)?;
            write_whole(container, attr, kind, new, site)?;
        }
        (_, None) => return Err(site.invalid_value("add and replace require a \"value\"")),
    }
    if let Some(old) = immutable_old
        && !old.is_null()
        && container.get(&attr.name) != Some(&old)
    {
        return Err(site.mutability(format!("\"{}\" is immutable and already set", attr.name)));
    }
    Ok(())
}

fn write_whole(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    kind: PatchOpKind,
    new: Value,
    site: &OpSite,
) -> Result<(), ScimError> {
    let key = attr.name.clone();
    match new {
        // RFC 7643 §2.5: null and [] are "unassigned".
        Value::Null => {
            container.shift_remove(&key);
        }
        Value::Array(items) if kind == PatchOpKind::Replace => {
            let mut list = Vec::with_capacity(items.len());
            append(&mut list, items);
            if list.is_empty() {
                container.shift_remove(&key);
            } else {
                container.insert(key, Value::Array(list));
            }
        }
        Value::Array(items) => {
            let slot = container.entry(key.clone()).or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(vec![slot.take()]);
            }
            if let Value::Array(list) = slot {
                let touched = append(list, items);
                enforce_primary(list, &touched);
                if list.is_empty() {
                    container.shift_remove(&key);
                }
            }
        }
        Value::Object(incoming) if attr.ty == AttrType::Complex => {
            let slot = container.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(obj) = slot {
                merge(obj, incoming, attr, site)?;
                if obj.is_empty() {
                    container.shift_remove(&key);
                }
            }
        }
        scalar => {
            container.insert(key, scalar);
        }
    }
    Ok(())
}

/// `attr.sub` without a filter: `name.givenName`, `…:manager.value`.
fn sub_attribute(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    sub: &AttributeDef,
    kind: PatchOpKind,
    value: Option<&Value>,
    site: &OpSite,
) -> Result<(), ScimError> {
    let Some(key) =
        find_key(container, &attr.name).or_else(|| (kind != PatchOpKind::Remove).then(|| attr.name.clone()))
    else {
        return Ok(());
    };
    let new = match (kind, value) {
        (PatchOpKind::Remove, _) => Value::Null,
        (_, Some(v)) => normalize_single(v, sub, site)?,
        (_, None) => return Err(site.invalid_value("add and replace require a \"value\"")),
    };
    if attr.multi_valued {
        // Without a filter, `emails.value` names the sub-attribute of every
        // value: removing it is meaningful, setting them all alike is not.
        if kind != PatchOpKind::Remove {
            return Err(site.invalid_path(format!(
                "select the values of \"{}\" with a filter, e.g. {}[type eq \"work\"].{}",
                attr.name, attr.name, sub.name
            )));
        }
        if let Some(Value::Array(list)) = container.get_mut(&key) {
            for element in list.iter_mut() {
                if let Value::Object(obj) = element {
                    set_sub(obj, sub, Value::Null, site)?;
                }
            }
            list.retain(|e| e.as_object().is_none_or(|m| !m.is_empty()));
            if list.is_empty() {
                container.shift_remove(&key);
            }
        }
        return Ok(());
    }
    let slot = container.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(obj) = slot {
        set_sub(obj, sub, new, site)?;
        if obj.is_empty() {
            container.shift_remove(&key);
        }
    }
    Ok(())
}

/// Extensions left empty are dropped with their `schemas` entry; extensions
/// that gained attributes are listed in `schemas` (RFC 7643 §3).
fn tidy_extensions(doc: &mut Map<String, Value>, rt: &ResourceType) {
    for ext in &rt.extensions {
        let Some(key) = find_key(doc, &ext.schema) else { continue };
        let empty = doc.get(&key).is_some_and(|v| v.as_object().is_some_and(Map::is_empty));
        let Some(Value::Array(urns)) = doc.get_mut("schemas") else {
            if empty {
                doc.shift_remove(&key);
            }
            continue;
        };
        let listed = urns.iter().position(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&ext.schema)));
        match (empty, listed) {
            (true, Some(i)) => {
                urns.remove(i);
            }
            (false, None) => urns.push(Value::String(ext.schema.clone())),
            _ => {}
        }
        if empty {
            doc.shift_remove(&key);
        }
    }
}
