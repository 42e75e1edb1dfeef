//! Where the secrets key ([`crate::sealing`]) comes from: `secrets_key` of
//! the configuration (best as `SCIMD_SECRETS_KEY`), else the file
//! `secrets_key_file` names, else a file beside the SQLite database
//! (`<database>.key`). A missing file is generated — by whichever process
//! first needs it, server or CLI; creating it exclusively means two that
//! race agree on one key — readable and writable by scimd's user only.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::sealing::SealingKey;

/// The configured secrets key, generating its file when there is none.
pub fn load(config: &Config) -> anyhow::Result<SealingKey> {
    if let Some(text) = &config.secrets_key {
        return SealingKey::parse(&text.0).map_err(|e| anyhow::anyhow!("secrets_key: {e}"));
    }
    let path = file_of(config)?;
    load_or_create(&path)
}

/// The configured secrets key, if it is given or its file exists (the
/// CLI: the server generates the file).
pub fn load_existing(config: &Config) -> anyhow::Result<Option<SealingKey>> {
    if config.secrets_key.is_some() {
        return load(config).map(Some);
    }
    let Ok(path) = file_of(config) else { return Ok(None) };
    if !path.exists() {
        return Ok(None);
    }
    // Only read: the CLI may run as a user who cannot write beside it.
    read(&path).map(Some)
}

/// The key file: configured, else beside the SQLite database.
fn file_of(config: &Config) -> anyhow::Result<PathBuf> {
    if let Some(path) = &config.secrets_key_file {
        return Ok(path.clone());
    }
    let db = scim_store::sqlite_file(&config.database_url).ok_or_else(|| {
        anyhow::anyhow!(
            "this database is not a SQLite file, so scimd has nowhere to keep its secrets key: \
             set secrets_key (SCIMD_SECRETS_KEY) or secrets_key_file, the same on every node"
        )
    })?;
    let mut name = db.into_os_string();
    name.push(".key");
    Ok(PathBuf::from(name))
}

fn load_or_create(path: &Path) -> anyhow::Result<SealingKey> {
    if !path.exists() {
        match create(path) {
            Ok(key) => {
                tracing::info!(file = %path.display(), key_id = %key.id(), "generated the secrets key: back it up with the database");
                return Ok(key);
            }
            // Another process made it meanwhile: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create the secrets key file {}", path.display())),
        }
    }
    read(path)
}

/// The key a file holds.
fn read(path: &Path) -> anyhow::Result<SealingKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the secrets key file {}", path.display()))?;
    SealingKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Writes a new key to `path`, which must not exist yet: written whole to
/// a file of this process's, then linked into place, which fails if
/// another process got there first (nobody ever reads half a key).
fn create(path: &Path) -> std::io::Result<SealingKey> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    // A file of that name left by a crash of this very pid is removed
    // first; the new one is created fresh, never opened through a link.
    let _ = std::fs::remove_file(&tmp);
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let text = SealingKey::generate_text();
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(format!("{text}\n").as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    linked?;
    SealingKey::parse(&text).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_generated_once_private_and_then_read() {
        let dir = std::env::temp_dir().join(format!("scimd-secrets-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = Config { database_url: format!("sqlite://{}/scimd.db", dir.display()), ..Config::default() };
        let first = load(&config).unwrap();
        let file = dir.join("scimd.db.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(load(&config).unwrap().id(), first.id(), "read back, not generated again");
        let given = SealingKey::generate_text();
        let with_key = Config { secrets_key: Some(crate::sealing::SecretText(given.clone())), ..config.clone() };
        assert_eq!(load(&with_key).unwrap().id(), SealingKey::parse(&given).unwrap().id());
        std::fs::write(&file, "garbage").unwrap();
        assert!(load(&config).unwrap_err().to_string().contains("scimd.db.key"));
        let postgres = Config { database_url: "postgres://db/scimd".into(), ..Config::default() };
        assert!(load(&postgres).unwrap_err().to_string().contains("SCIMD_SECRETS_KEY"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
