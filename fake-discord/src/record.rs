//! `FAKE_DISCORD_RECORD=<file>`: every stand-in in the process appends every request it receives
//! to that file as one JSON line, `{"method": "POST", "path": "/api/v10/channels/12/messages",
//! "body": {...}}` (body: the JSON body, the parsed `payload_json` of a multipart request, or
//! null). Each line is written with one `write` on a file opened with `O_APPEND`, so tests
//! running in parallel can share the file. Other tools read this format: keep it exactly so.

use std::io::Write;

use serde_json::Value;

/// The environment variable naming the file.
pub const RECORD_ENV: &str = "FAKE_DISCORD_RECORD";

/// One line of the record (with its newline).
pub fn line(method: &str, path: &str, body: Option<&Value>) -> String {
    let s = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    format!(
        "{{\"method\": {}, \"path\": {}, \"body\": {}}}\n",
        s(&Value::from(method)),
        s(&Value::from(path)),
        body.map_or_else(|| "null".to_string(), s)
    )
}

/// Appends the request to `$FAKE_DISCORD_RECORD`, if set.
pub(crate) fn append(method: &str, path: &str, body: Option<&Value>) {
    let Some(file) = std::env::var_os(RECORD_ENV).filter(|f| !f.is_empty()) else {
        return;
    };
    let text = line(method, path, body);
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| {
            // One write call: with O_APPEND the line lands whole, after whatever another
            // writer appended.
            let n = f.write(text.as_bytes())?;
            if n == text.len() {
                Ok(())
            } else {
                Err(std::io::Error::other(format!(
                    "short write: {n} of {} bytes",
                    text.len()
                )))
            }
        });
    if let Err(e) = result {
        eprintln!("fake-discord: cannot append to {}: {e}", file.to_string_lossy());
    }
}
