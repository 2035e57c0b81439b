//! Discord's OpenAPI description: matching requests to operations and validating bodies.
//!
//! The file is read at run time (never copied into the repository). Validators are compiled
//! lazily with the `jsonschema` crate (draft 2020-12); each compiled schema is a copy of the
//! operation's schema with the spec's `components` embedded, so `#/components/...` references
//! resolve. Loaded specs and their validators are shared by every stand-in of the process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

/// Environment variable that overrides where the OpenAPI file is read from.
pub const SPEC_ENV: &str = "DISCORD_OPENAPI_SPEC";

/// Where the spec is looked for when [`SPEC_ENV`] is unset, in order: `shared/` beside the
/// repository that holds this crate, then the workplace's shared folder.
pub fn default_spec_candidates() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    // <repo>/fake-discord -> <repo>/../shared
    if let Some(repo) = manifest.parent() {
        if let Some(parent) = repo.parent() {
            out.push(parent.join("shared/discord-api-spec/openapi.json"));
        }
    }
    out.push(PathBuf::from("/work/shared/discord-api-spec/openapi.json"));
    out
}

/// Resolves the spec path: the env var if set (even if the file is missing), else the first
/// default candidate that exists.
pub fn resolve_spec_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(SPEC_ENV) {
        return Some(PathBuf::from(p));
    }
    default_spec_candidates().into_iter().find(|p| p.exists())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Param(String),
}

#[derive(Debug)]
struct PathTemplate {
    template: String,
    segs: Vec<Seg>,
}

/// A loaded OpenAPI description.
pub struct Spec {
    doc: Value,
    paths: Vec<PathTemplate>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec").field("paths", &self.paths.len()).finish()
    }
}

/// The result of matching a concrete path to the spec.
#[derive(Debug, Clone)]
pub struct PathMatch {
    /// The spec's path template, e.g. `/channels/{channel_id}/messages`.
    pub template: String,
    /// Template parameter values by name.
    pub params: HashMap<String, String>,
}

fn split(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

impl Spec {
    /// Loads (or returns the process-wide cached) spec at `path`.
    pub fn load_cached(path: &Path) -> Result<Arc<Spec>, String> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Spec>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut guard = cache.lock().unwrap();
        if let Some(s) = guard.get(path) {
            return Ok(Arc::clone(s));
        }
        let spec = Arc::new(Spec::load(path)?);
        guard.insert(path.to_path_buf(), Arc::clone(&spec));
        Ok(spec)
    }

    /// Reads and indexes the spec file.
    pub fn load(path: &Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        Spec::from_value(doc)
    }

    /// Indexes an already parsed spec document.
    pub fn from_value(doc: Value) -> Result<Spec, String> {
        let paths_obj = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("spec has no `paths`")?;
        let paths = paths_obj
            .keys()
            .map(|t| PathTemplate {
                template: t.clone(),
                segs: split(t)
                    .into_iter()
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Seg::Param(s[1..s.len() - 1].to_string())
                        } else {
                            Seg::Lit(s.to_string())
                        }
                    })
                    .collect(),
            })
            .collect();
        Ok(Spec {
            doc,
            paths,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// Matches a concrete path (without `/api/v10`) to a template. Literal segments beat
    /// templated ones, compared from the left (`/users/@me/channels` over `/users/{user_id}`).
    pub fn match_path(&self, path: &str) -> Option<PathMatch> {
        let segs = split(path);
        let mut best: Option<(Vec<bool>, &PathTemplate)> = None;
        for t in &self.paths {
            if t.segs.len() != segs.len() {
                continue;
            }
            let mut score = Vec::with_capacity(segs.len());
            let mut ok = true;
            for (ts, s) in t.segs.iter().zip(&segs) {
                match ts {
                    Seg::Lit(l) if l == s => score.push(true),
                    Seg::Lit(_) => {
                        ok = false;
                        break;
                    }
                    Seg::Param(_) => score.push(false),
                }
            }
            if ok && best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, t));
            }
        }
        best.map(|(_, t)| PathMatch {
            template: t.template.clone(),
            params: t
                .segs
                .iter()
                .zip(&segs)
                .filter_map(|(ts, s)| match ts {
                    Seg::Param(n) => Some((n.clone(), (*s).to_string())),
                    Seg::Lit(_) => None,
                })
                .collect(),
        })
    }

    /// The operation object for a template and a method (`get`, `post`, ...).
    pub fn operation(&self, template: &str, method: &str) -> Option<&Value> {
        self.doc.get("paths")?.get(template)?.get(method.to_ascii_lowercase())
    }

    /// All parameters (path-level and operation-level) of an operation.
    pub fn parameters(&self, template: &str, method: &str) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(p) = self
            .doc
            .pointer("/paths")
            .and_then(|p| p.get(template))
            .and_then(|p| p.get("parameters"))
            .and_then(Value::as_array)
        {
            out.extend(p.iter().map(|v| self.deref(v).clone()));
        }
        if let Some(p) = self
            .operation(template, method)
            .and_then(|o| o.get("parameters"))
            .and_then(Value::as_array)
        {
            out.extend(p.iter().map(|v| self.deref(v).clone()));
        }
        out
    }

    /// Follows a local `$ref` (one level at a time until none is left).
    pub fn deref<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..8 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) if r.starts_with("#/") => match self.doc.pointer(&r[1..]) {
                    Some(t) => v = t,
                    None => return v,
                },
                _ => return v,
            }
        }
        v
    }

    /// The request body schema of an operation for a content type (`application/json`, ...).
    pub fn request_schema(&self, template: &str, method: &str, content_type: &str) -> Option<&Value> {
        let rb = self.deref(self.operation(template, method)?.get("requestBody")?);
        rb.get("content")?.get(content_type)?.get("schema")
    }

    /// Whether the operation declares a request body, and whether it is required.
    pub fn request_body_info(&self, template: &str, method: &str) -> (bool, bool) {
        match self
            .operation(template, method)
            .and_then(|o| o.get("requestBody"))
            .map(|rb| self.deref(rb))
        {
            Some(rb) => (true, rb.get("required").and_then(Value::as_bool).unwrap_or(false)),
            None => (false, false),
        }
    }

    /// The JSON response schema for a status, falling back to `4XX`/`5XX` and `default`.
    /// `Ok(None)` means the status is declared without a body; `Err` means it is not declared.
    pub fn response_schema(&self, template: &str, method: &str, status: u16) -> Result<Option<&Value>, String> {
        let op = self
            .operation(template, method)
            .ok_or_else(|| format!("no operation {method} {template}"))?;
        let responses = op.get("responses").ok_or("operation without responses")?;
        let class = format!("{}XX", status / 100);
        let r = responses
            .get(status.to_string())
            .or_else(|| responses.get(&class))
            .or_else(|| responses.get("default"))
            .ok_or_else(|| format!("status {status} is not declared for {method} {template}"))?;
        let r = self.deref(r);
        Ok(r.get("content")
            .and_then(|c| c.get("application/json"))
            .and_then(|c| c.get("schema")))
    }

    /// Validates `instance` against `schema` (a part of this spec); returns the errors.
    /// `key` names the schema for the validator cache.
    pub fn validate(&self, key: &str, schema: &Value, instance: &Value) -> Vec<String> {
        let validator = {
            let cached = self.validators.lock().unwrap().get(key).cloned();
            match cached {
                Some(v) => v,
                None => {
                    let mut root = match schema {
                        Value::Object(m) => m.clone(),
                        other => {
                            let mut m = Map::new();
                            m.insert("allOf".into(), Value::Array(vec![other.clone()]));
                            m
                        }
                    };
                    if let Some(c) = self.doc.get("components") {
                        root.insert("components".into(), c.clone());
                    }
                    let root = Value::Object(root);
                    match jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .build(&root)
                    {
                        Ok(v) => {
                            let v = Arc::new(v);
                            self.validators.lock().unwrap().insert(key.to_string(), Arc::clone(&v));
                            v
                        }
                        Err(e) => return vec![format!("schema {key} does not compile: {e}")],
                    }
                }
            }
        };
        validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path.to_string();
                let msg = e.to_string();
                let msg = if msg.len() > 400 {
                    format!("{}...", &msg[..msg.floor_char_boundary(400)])
                } else {
                    msg
                };
                format!("{} (at `{}`)", msg, if at.is_empty() { "/" } else { &at })
            })
            .collect()
    }

    /// Validates a request body for an operation.
    pub fn validate_request(&self, template: &str, method: &str, content_type: &str, body: &Value) -> Vec<String> {
        match self.request_schema(template, method, content_type) {
            Some(schema) => self.validate(&format!("req {method} {template} {content_type}"), schema, body),
            None => vec![format!("{method} {template} declares no `{content_type}` request body")],
        }
    }

    /// Validates a response body for an operation and status.
    pub fn validate_response(&self, template: &str, method: &str, status: u16, body: Option<&Value>) -> Vec<String> {
        match self.response_schema(template, method, status) {
            Err(e) => vec![e],
            Ok(None) => match body {
                None => vec![],
                Some(_) => vec![format!(
                    "status {status} of {method} {template} declares no body but one was sent"
                )],
            },
            Ok(Some(schema)) => match body {
                None => vec![format!(
                    "status {status} of {method} {template} declares a JSON body but none was sent"
                )],
                Some(b) => self.validate(&format!("resp {method} {template} {status}"), schema, b),
            },
        }
    }

    /// The path and query parameter errors of a request.
    pub fn validate_parameters(
        &self,
        template: &str,
        method: &str,
        path_params: &HashMap<String, String>,
        query: &[(String, String)],
    ) -> Vec<String> {
        let params = self.parameters(template, method);
        let mut errors = Vec::new();
        for p in &params {
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
            let schema = p.get("schema");
            let value = match location {
                "path" => path_params.get(name).cloned(),
                "query" => query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
                _ => continue,
            };
            let Some(value) = value else {
                if p.get("required").and_then(Value::as_bool) == Some(true) {
                    errors.push(format!("missing required {location} parameter `{name}`"));
                }
                continue;
            };
            if let Some(schema) = schema {
                let instance = coerce(self.deref(schema), &value, self);
                let errs = self.validate(
                    &format!("param {method} {template} {location} {name}"),
                    schema,
                    &instance,
                );
                errors.extend(
                    errs.into_iter()
                        .map(|e| format!("{location} parameter `{name}`={value:?}: {e}")),
                );
            }
        }
        for (k, _) in query {
            let known = params.iter().any(|p| {
                p.get("in").and_then(Value::as_str) == Some("query")
                    && p.get("name").and_then(Value::as_str) == Some(k.as_str())
            });
            if !known {
                errors.push(format!("unknown query parameter `{k}`"));
            }
        }
        errors
    }
}

/// Turns a parameter string into the JSON value its schema expects.
fn coerce(schema: &Value, value: &str, spec: &Spec) -> Value {
    let mut types: Vec<String> = match schema.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => vec![],
    };
    if types.is_empty() {
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(Value::Array(alts)) = schema.get(key) {
                for alt in alts {
                    if let Some(t) = spec.deref(alt).get("type").and_then(Value::as_str) {
                        types.push(t.to_string());
                    }
                }
            }
        }
    }
    if types.iter().any(|t| t == "integer") {
        if let Ok(i) = value.parse::<i64>() {
            return Value::from(i);
        }
    }
    if types.iter().any(|t| t == "number") {
        if let Ok(f) = value.parse::<f64>() {
            return Value::from(f);
        }
    }
    if types.iter().any(|t| t == "boolean") {
        match value {
            "true" | "True" => return Value::Bool(true),
            "false" | "False" => return Value::Bool(false),
            _ => {}
        }
    }
    Value::String(value.to_string())
}

/// Fields where Discord's OpenAPI file is stricter than Discord itself and than its own
/// documentation, so that a correct client would be flagged. Each is rewritten before a request
/// body is validated (the recorded body is untouched):
///
/// * `default_member_permissions`: the spec types it `integer | null`; the documentation types it
///   as a string ("permission bit set as a string"), Discord accepts both, and serenity sends a
///   string (`Permissions::bits().to_string()`). A string of digits is validated as the integer.
/// * `attachments[].id`: the spec wants a snowflake string; for a new file Discord documents a
///   placeholder index matching `files[n]` and accepts an integer, which serenity sends
///   (`CreateAttachment { id: u64 }`). An integer is validated as its string.
pub const KNOWN_QUIRKS: &[&str] = &["default_member_permissions", "attachments[].id"];

/// Rewrites the [`KNOWN_QUIRKS`] of a request body for validation.
pub fn apply_known_quirks(body: &Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "default_member_permissions" {
                        if let Some(n) = x.as_str().and_then(|s| s.parse::<u64>().ok()) {
                            *x = Value::from(n);
                            continue;
                        }
                    }
                    if k == "attachments" {
                        if let Some(a) = x.as_array_mut() {
                            for att in a {
                                if let Some(id) = att.get("id").and_then(Value::as_u64) {
                                    att["id"] = Value::String(id.to_string());
                                }
                            }
                        }
                        continue;
                    }
                    walk(x);
                }
            }
            _ => {}
        }
    }
    let mut out = body.clone();
    walk(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tiny() -> Spec {
        Spec::from_value(json!({
            "paths": {
                "/users/{user_id}": {"get": {"responses": {"200": {"description": "x"}}}},
                "/users/@me": {"get": {"responses": {"200": {"description": "x"}}}},
                "/users/@me/channels": {"post": {
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Dm"}}}},
                    "responses": {"200": {"description": "x"}}}},
                "/users/{user_id}/channels": {"post": {"responses": {"200": {"description": "x"}}}},
                "/webhooks/{a}/{b}/messages/{m}": {"get": {"responses": {"200": {"description": "x"}}}},
                "/webhooks/{a}/{b}/messages/@original": {"get": {"responses": {"200": {"description": "x"}}}}
            },
            "components": {"schemas": {
                "Dm": {"type": "object", "required": ["recipient_id"],
                       "properties": {"recipient_id": {"$ref": "#/components/schemas/Snowflake"}}},
                "Snowflake": {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}
            }}
        }))
        .unwrap()
    }

    #[test]
    fn literal_segments_win() {
        let s = tiny();
        assert_eq!(s.match_path("/users/@me").unwrap().template, "/users/@me");
        assert_eq!(s.match_path("/users/42").unwrap().template, "/users/{user_id}");
        assert_eq!(
            s.match_path("/users/@me/channels").unwrap().template,
            "/users/@me/channels"
        );
        let m = s.match_path("/webhooks/1/t/messages/@original").unwrap();
        assert_eq!(m.template, "/webhooks/{a}/{b}/messages/@original");
        assert_eq!(m.params["b"], "t");
        assert!(s.match_path("/nothing").is_none());
    }

    #[test]
    fn bodies_are_validated_with_references() {
        let s = tiny();
        let t = "/users/@me/channels";
        assert!(s
            .validate_request(t, "post", "application/json", &json!({"recipient_id": "42"}))
            .is_empty());
        let errs = s.validate_request(t, "post", "application/json", &json!({"recipient_id": 42}));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(!s.validate_request(t, "post", "application/json", &json!({})).is_empty());
    }

    #[test]
    fn quirks_are_rewritten_for_validation_only() {
        let body = json!([{"name": "x", "default_member_permissions": "32",
            "attachments": [{"id": 0, "filename": "a"}]}]);
        let q = apply_known_quirks(&body);
        assert_eq!(q[0]["default_member_permissions"], 32);
        assert_eq!(q[0]["attachments"][0]["id"], "0");
        assert_eq!(body[0]["default_member_permissions"], "32");
    }
}
